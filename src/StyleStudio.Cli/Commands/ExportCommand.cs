using System.CommandLine;
using StyleStudio.Training.Export.Gguf;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio export --model DIR [--adapter DIR] --format gguf --type f16|bf16|q8_0|q4_0|q4_k_m --out FILE.gguf</c>:
/// a GGUF file for llama.cpp / Ollama / LM Studio and an Ollama Modelfile beside it.
/// </summary>
static class ExportCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var adapter = new Option<DirectoryInfo?>("--adapter") { Description = "a PEFT LoRA/DoRA adapter folder to merge in first" };
        var format = new Option<string>("--format") { Description = "export format", DefaultValueFactory = _ => "gguf" };
        format.AcceptOnlyFromAmong("gguf");
        var type = new Option<string>("--type") { Description = $"weight type: {string.Join(", ", GgufExportTypes.Names)} (quantized types via llama.cpp's quantizer)", DefaultValueFactory = _ => "f16" };
        var output = new Option<FileInfo>("--out") { Description = "the .gguf file to write (FILE.Modelfile is written beside it)", Required = true };
        var template = new Option<string?>("--template") { Description = $"prompt template for the Modelfile: {string.Join(", ", PromptTemplates.All.Select(t => t.Name))} (default: by the tokenizer's markers)" };
        var temperature = new Option<double?>("--temperature") { Description = "sampling preset written to the Modelfile (with --top-p, --top-k, --repetition-penalty, --max-new-tokens)" };
        var topP = new Option<double>("--top-p") { Description = "Modelfile preset: nucleus mass", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { Description = "Modelfile preset: top-k (0 leaves it out)", DefaultValueFactory = _ => 0 };
        var penalty = new Option<double>("--repetition-penalty") { Description = "Modelfile preset: repeat penalty", DefaultValueFactory = _ => 1.0 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Modelfile preset: num_predict", DefaultValueFactory = _ => 256 };
        var json = CommonOptions.Json();
        var command = new Command("export", "Export a model (and adapter) as GGUF for llama.cpp, Ollama and LM Studio, with an Ollama Modelfile")
        {
            model, adapter, format, type, output, template, temperature, topP, topK, penalty, maxNew, json,
        };
        command.SetAction((parse, cancellation) => Task.FromResult(CliOutput.Guard(() =>
        {
            var sampling = parse.GetValue(temperature) is { } t
                ? new SamplingOptions { Temperature = t, TopP = parse.GetValue(topP), TopK = parse.GetValue(topK), RepetitionPenalty = parse.GetValue(penalty), MaxNewTokens = parse.GetValue(maxNew) }
                : null;
            sampling?.Validate();
            var request = new GgufExportRequest(parse.GetValue(model)!.FullName, parse.GetValue(output)!.FullName,
                GgufExportTypes.Parse(parse.GetValue(type)!), parse.GetValue(adapter)?.FullName, parse.GetValue(template), sampling);
            bool asJson = parse.GetValue(json);
            var result = GgufExport.Run(request, asJson ? null : new ProgressLine(), cancellation);
            if (asJson)
            {
                CliOutput.PrintJson(new { result.Path, Modelfile = result.ModelfilePath, result.Bytes, result.Architecture, Tensors = result.TensorCount, Type = request.Type.Name(), result.Caveats });
                return 0;
            }
            Console.WriteLine($"{result.Path}: {result.Architecture}, {result.TensorCount} tensors, {request.Type.Name()}, {result.Bytes / 1048576.0:F1} MiB");
            Console.WriteLine($"{result.ModelfilePath}: ollama create NAME -f {Path.GetFileName(result.ModelfilePath)}");
            foreach (var caveat in result.Caveats) Console.WriteLine($"note: {caveat}");
            return 0;
        })));
        return command;
    }

    /// <summary>Progress on stderr, one updating line when it is a terminal.</summary>
    sealed class ProgressLine : IProgress<GgufExportProgress>
    {
        public void Report(GgufExportProgress value)
        {
            string text = value.TensorCount > 0 && value.Stage == "writing tensors"
                ? $"{value.Stage} {value.TensorsDone}/{value.TensorCount} ({value.BytesWritten / 1048576.0:F1} MiB)"
                : value.Stage;
            if (Console.IsErrorRedirected) { if (value.TensorsDone == 0 || value.TensorsDone == value.TensorCount) Console.Error.WriteLine(text); }
            else Console.Error.Write($"\r{text,-60}{(value.Stage == "done" ? "\n" : "")}");
        }
    }
}
