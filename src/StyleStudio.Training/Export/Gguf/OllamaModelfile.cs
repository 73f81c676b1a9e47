using System.Globalization;
using System.Text;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// An Ollama Modelfile for an exported GGUF: FROM the file beside it, TEMPLATE in Ollama's Go-template syntax built from
/// our prompt template (so Ollama lays out prompts exactly as training and our generate did), SYSTEM for a default
/// system message, and PARAMETER lines for the stop tokens and, optionally, a style's sampling presets.
/// </summary>
public static class OllamaModelfile
{
    /// <param name="ggufFileName">The .gguf file's name; the Modelfile sits in the same folder.</param>
    /// <param name="eosToken">The tokenizer's end-of-sequence text, which {eos} in templates stands for.</param>
    /// <param name="bosAddedByLlamaCpp">The BOS token's text when llama.cpp adds it itself (add_bos_token); a template
    /// prefix equal to it is left out so prompts do not start with two.</param>
    public static string Build(string ggufFileName, PromptTemplate template, string eosToken, string? bosAddedByLlamaCpp,
        SamplingOptions? sampling)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"FROM ./{ggufFileName}\n\n");
        text.Append("TEMPLATE \"\"\"").Append(GoTemplate(template, eosToken, bosAddedByLlamaCpp)).Append("\"\"\"\n");
        if (template.DefaultSystem is { } system) text.Append("SYSTEM \"\"\"").Append(system).Append("\"\"\"\n");
        text.Append('\n');

        List<string> stops = [template.EndOfTurn(eosToken), eosToken, .. template.StopWords ?? []];
        stops.AddRange(sampling?.StopStrings ?? []);
        foreach (var stop in stops.Where(s => s.Length > 0).Distinct())
            text.Append(CultureInfo.InvariantCulture, $"PARAMETER stop {Quoted(stop)}\n");
        if (sampling is not null)
        {
            void Parameter(string name, IFormattable value) => text.Append(CultureInfo.InvariantCulture, $"PARAMETER {name} {value.ToString(null, CultureInfo.InvariantCulture)}\n");
            Parameter("temperature", sampling.Temperature);
            Parameter("top_p", sampling.TopP);
            if (sampling.TopK > 0) Parameter("top_k", sampling.TopK);
            Parameter("repeat_penalty", sampling.RepetitionPenalty);
            Parameter("num_predict", sampling.MaxNewTokens);
            if (sampling.Seed is { } seed) Parameter("seed", seed);
        }
        return text.ToString();
    }

    /// <summary>
    /// Our template with Ollama's fields: {system} → {{ .System }} inside an "if", {query} → {{ .Prompt }}, the answer as
    /// {{ .Response }} after the answer's opening (which our generation feeds as the end of the prompt, e.g. GLM-4's "\n")
    /// and followed by the answer suffix (Ollama renders past turns with it; the last one stops at the stop token).
    /// </summary>
    public static string GoTemplate(PromptTemplate template, string eosToken, string? bosAddedByLlamaCpp)
    {
        string prefix = bosAddedByLlamaCpp is not null && template.Prefix == bosAddedByLlamaCpp ? "" : template.Prefix;
        string system = template.SystemPattern.Length == 0 ? ""
            : "{{ if .System }}" + template.SystemPattern.Replace("{system}", "{{ .System }}") + "{{ end }}";
        string user = template.UserPattern
            .Replace("{system_inline}", template.SystemPattern.Length == 0 ? "{{ if .System }}{{ .System }}\n\n{{ end }}" : "")
            .Replace("{query}", "{{ .Prompt }}");
        string suffix = template.EfficientEos ? "" : template.AnswerSuffix;   // only the last answer is closed, and Ollama cuts there
        return (prefix + system + user + template.AnswerPrefix + template.AnswerOpening + "{{ .Response }}" + suffix).Replace("{eos}", eosToken);
    }

    /// <summary>A quoted Modelfile value; one with a line break goes in triple quotes, which Ollama reads across lines.</summary>
    static string Quoted(string text) => text.Contains('\n')
        ? "\"\"\"" + text + "\"\"\""
        : "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
