using System.Text.RegularExpressions;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Export.Gguf;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;

namespace StyleStudio.Tests.Export;

/// <summary>
/// The Modelfile's TEMPLATE lays out a request exactly as our template does. Ollama renders the template and, for the
/// turn being answered, cuts it where {{ .Response }} stands; here the few Go-template forms the builder emits are
/// substituted the way Ollama evaluates them (if .System / .System / .Prompt) and the text before .Response compared.
/// </summary>
public sealed partial class OllamaModelfileTests
{
    public static TheoryData<string, string?> Cases()
    {
        var cases = new TheoryData<string, string?>();
        foreach (var template in PromptTemplates.All)
        {
            cases.Add(template.Name, null);
            cases.Add(template.Name, "Answer in the style of a Tang poet.");
        }
        return cases;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Template_renders_the_prompt_our_template_renders(string name, string? system)
    {
        var template = PromptTemplates.Get(name);
        string eos = name == "llama3" ? "<|eot_id|>" : "<|im_end|>";
        string text = OllamaModelfile.Build("m.gguf", template, eos, bosAddedByLlamaCpp: null, sampling: null);

        string goTemplate = Regex.Match(text, "TEMPLATE \"\"\"(.*?)\"\"\"", RegexOptions.Singleline).Groups[1].Value;
        string? defaultSystem = Regex.Match(text, "SYSTEM \"\"\"(.*?)\"\"\"", RegexOptions.Singleline) is { Success: true } m ? m.Groups[1].Value : null;
        string query = "把这句话改写得更古雅：今天天气很好。";
        string rendered = Render(goTemplate, system ?? defaultSystem, query);
        // Our generation feeds the answer's opening (GLM-4's "\n") as the end of the prompt.
        Assert.Equal(template.RenderPrompt(query, system, eos) + template.AnswerOpening, rendered[..rendered.IndexOf(ResponseMark, StringComparison.Ordinal)]);
        Assert.Contains($"PARAMETER stop \"{template.EndOfTurn(eos)}\"", text);
    }

    [Fact]
    public void A_bos_token_llama_cpp_adds_itself_is_not_repeated_by_the_template()
    {
        string text = OllamaModelfile.GoTemplate(PromptTemplates.Llama3, "<|eot_id|>", bosAddedByLlamaCpp: "<|begin_of_text|>");
        Assert.StartsWith("{{ if .System }}<|start_header_id|>system", text);
    }

    [Fact]
    public void Sampling_presets_become_parameters()
    {
        var sampling = new SamplingOptions { Temperature = 0.7, TopP = 0.9, TopK = 40, RepetitionPenalty = 1.1, MaxNewTokens = 128, StopStrings = ["\n\n"] };
        string text = OllamaModelfile.Build("style.gguf", PromptTemplates.Qwen, "<|im_end|>", null, sampling);
        Assert.StartsWith("FROM ./style.gguf\n", text);
        foreach (var line in new[] { "PARAMETER temperature 0.7", "PARAMETER top_p 0.9", "PARAMETER top_k 40", "PARAMETER repeat_penalty 1.1",
                     "PARAMETER num_predict 128", "PARAMETER stop \"<|im_end|>\"", "PARAMETER stop \"\"\"\n\n\"\"\"" })
            Assert.Contains(line + "\n", text);
    }

    const string ResponseMark = "\u0001RESPONSE\u0001";

    static string Render(string goTemplate, string? system, string prompt)
    {
        string text = IfSystem().Replace(goTemplate, m => system is null ? "" : m.Groups[1].Value);
        return text.Replace("{{ .System }}", system).Replace("{{ .Prompt }}", prompt).Replace("{{ .Response }}", ResponseMark);
    }

    [GeneratedRegex(@"\{\{ if \.System \}\}(.*?)\{\{ end \}\}", RegexOptions.Singleline)]
    private static partial Regex IfSystem();
}
