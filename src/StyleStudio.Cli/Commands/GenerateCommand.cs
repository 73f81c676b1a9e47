using System.CommandLine;
using StyleStudio.Serving;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio generate --model DIR [--adapter DIR] --prompt TEXT [--template NAME | --raw] …</c>: streams the answer to stdout, or
/// prints one JSON object with --json. Ctrl+C stops generation and keeps what was produced.
/// </summary>
static class GenerateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var adapter = new Option<DirectoryInfo?>("--adapter") { Description = "a PEFT LoRA/DoRA adapter folder (adapter_config.json + adapter_model.safetensors)" };
        var prompt = new Option<string>("--prompt") { Description = "the request (or, with --raw, the exact text to continue)", Required = true };
        var template = new Option<string?>("--template") { Description = $"prompt template: {string.Join(", ", PromptTemplates.All.Select(t => t.Name))} (default: qwen)" };
        var raw = new Option<bool>("--raw") { Description = "feed the prompt as is, with no template" };
        var system = new Option<string?>("--system") { Description = "system message (templated prompts only)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "tokens to generate at most", DefaultValueFactory = _ => 256 };
        var temperature = new Option<double>("--temperature") { Description = "0 for greedy decoding", DefaultValueFactory = _ => 0.95 };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling mass (1 disables)", DefaultValueFactory = _ => 0.7 };
        var topK = new Option<int>("--top-k") { Description = "keep the k most likely tokens (0 disables)", DefaultValueFactory = _ => 50 };
        var penalty = new Option<double>("--repetition-penalty") { Description = "penalty on repeated tokens (1 disables)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long?>("--seed") { Description = "seed for reproducible sampling" };
        var stops = new Option<string[]>("--stop") { Description = "stop before this string (repeatable)", AllowMultipleArgumentsPerToken = false };
        var device = CommonOptions.Device();
        var dtype = CommonOptions.DType();
        var json = CommonOptions.Json();
        var command = new Command("generate", "Generate text with a model")
        {
            model, adapter, prompt, template, raw, system, maxNew, temperature, topP, topK, penalty, seed, stops, device, dtype, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(raw) is not null && result.GetResult(template) is not null)
                result.AddError("--raw and --template exclude each other");
        });

        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var options = new SamplingOptions
            {
                MaxNewTokens = parse.GetValue(maxNew),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                RepetitionPenalty = parse.GetValue(penalty),
                Seed = parse.GetValue(seed),
                StopStrings = parse.GetValue(stops) ?? [],
            };
            options.Validate();
            // The same path as the studio and the API: a host loading the folder, the adapter attached unmerged.
            var served = Served.Of(parse.GetValue(model)!, parse.GetValue(adapter));
            using var host = new ModelHost(new ServingOptions { Rows = 1, SlotTokens = int.MaxValue },
                ModelLoadOptions.Named(parse.GetValue(device), parse.GetValue(dtype)!));
            var service = new GenerationService(host, new FixedModelDirectory(served));
            var request = new GenerationRequest
            {
                Model = served.Id,
                Sampling = options,
                Template = parse.GetValue(template) ?? "qwen",
                Prompt = parse.GetValue(raw) ? parse.GetValue(prompt)! : null,
                Messages = parse.GetValue(raw) ? null
                    : [.. parse.GetValue(system) is { } text ? new[] { new ChatTurn("system", text) } : [], new ChatTurn("user", parse.GetValue(prompt)!)],
            };

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
            bool asJson = parse.GetValue(json);
            GenerationFinished? result = null;
            var run = Task.Run(async () =>
            {
                await foreach (var e in service.StreamAsync(request, cancel.Token))
                    if (e is GenerationDelta delta && !asJson) Console.Write(delta.Text);
                    else if (e is GenerationFinished end) result = end;
            });
            run.GetAwaiter().GetResult();
            if (asJson)
                CliOutput.PrintJson(new
                {
                    result!.Text,
                    TokenIds = result.Tokens.Select(t => t.Id).ToList(),
                    FinishReason = result.Reason.ToString().ToLowerInvariant(),
                    result.PromptTokens,
                    GeneratedTokens = result.CompletionTokens,
                    TokensPerSecond = Math.Round(result.TokensPerSecond, 2),
                    Device = host.Loaded.Single().Model.Device.ToString(),
                });
            else
                Console.WriteLine();
            return 0;
        }));
        return command;
    }
}

/// <summary>The model a CLI command was pointed at, as the serving layer names it.</summary>
static class Served
{
    public static ServableModel Of(DirectoryInfo model, DirectoryInfo? adapter)
    {
        if (!model.Exists) throw new ArgumentException($"--model {model.FullName}: folder not found");
        if (adapter is { Exists: false }) throw new ArgumentException($"--adapter {adapter.FullName}: folder not found (a PEFT adapter folder holds adapter_config.json)");
        return new ServableModel(adapter is null ? model.Name : $"{model.Name}:{adapter.Name}", model.Name, model.FullName, adapter?.FullName);
    }
}
