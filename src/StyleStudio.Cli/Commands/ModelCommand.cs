using StyleStudio.Application.Runs;
using System.CommandLine;
using StyleStudio.Data.Storage;
using StyleStudio.Models.Download;
using StyleStudio.Models.Hubs;
using StyleStudio.Models.Local;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio model pull|list|rm</c>: models in the models folder (the studio's), downloaded from the Hugging Face Hub
/// or ModelScope through the same <see cref="ModelDownloader"/> the studio's download jobs use.
/// </summary>
static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command("model", "Download, list and remove models in the models folder");
        command.Subcommands.Add(Pull());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    static Option<DirectoryInfo> ModelsFolder() => new("--models")
    {
        Description = "the models folder (default: models/ in the data folder, $STYLESTUDIO_DATA or ~/.local/share/StyleStudio)",
        DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(DataStore.DefaultFolder, "models")),
    };

    static Command Pull()
    {
        var id = new Argument<string>("id") { Description = "repository id, e.g. Qwen/Qwen2.5-0.5B-Instruct (ModelScope: qwen/Qwen2.5-0.5B-Instruct)" };
        var source = new Option<string>("--source") { Description = "huggingface (endpoint: $HF_ENDPOINT) or modelscope (endpoint: $MODELSCOPE_DOMAIN)", DefaultValueFactory = _ => "huggingface" };
        source.AcceptOnlyFromAmong("huggingface", "modelscope");
        var revision = new Option<string?>("--revision") { Description = "branch, tag or commit (default: main; master on ModelScope)" };
        var token = new Option<string?>("--token") { Description = "access token for gated or private repositories (default: $HF_TOKEN / $MODELSCOPE_API_TOKEN); sent only to the hub's host" };
        var models = ModelsFolder();
        var json = CommonOptions.Json();
        var command = new Command("pull", "Download a model into DIR/NAME (NAME: the repository's name part); an interrupted pull continues where it stopped")
            { id, source, revision, token, models, json };
        command.SetAction((parse, cancellation) => CliOutput.GuardAsync(async () =>
        {
            var hubSource = parse.GetValue(source) == "modelscope" ? HubSource.ModelScope : HubSource.HuggingFace;
            var options = HubOptions.FromEnvironment() with { Token = parse.GetValue(token) };
            using var client = HubHttp.CreateClient();
            var request = new PullRequest(parse.GetValue(id)!, hubSource, parse.GetValue(revision), parse.GetValue(models)!.FullName);
            var result = await new ModelDownloader(client, options).PullAsync(request, new ProgressLines(), cancellation);
            if (!Console.IsErrorRedirected) Console.Error.WriteLine();   // end the updating progress line
            foreach (var name in result.SkippedNames) Console.Error.WriteLine($"skipped unsafe file name in the listing: {name}");
            if (parse.GetValue(json))
                CliOutput.PrintJson(new
                {
                    path = result.Path, name = Path.GetFileName(result.Path), files = result.Files.Select(f => f.Path),
                    sizes = result.Files.ToDictionary(f => f.Path, f => f.Bytes), bytes = result.Bytes, bytes_written = result.BytesTransferred,
                });
            else
                Console.WriteLine($"{result.Path}: {result.Files.Count} files, {DownloadProgress.Bytes(result.Bytes)} ({DownloadProgress.Bytes(result.BytesTransferred)} transferred now)");
            return 0;
        }));
        return command;
    }

    static Command List()
    {
        var models = ModelsFolder();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the models (architecture, parameters, dtype, size, context length, template, whether each loads) and, under each, its PEFT adapters (id BASE:FOLDER, LoRA or DoRA, rank, alpha)") { models, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var library = new LocalModels(parse.GetValue(models)!.FullName);
            var list = library.List();
            var adapters = library.Adapters();
            if (parse.GetValue(json))
            {
                CliOutput.PrintJson(new
                {
                    folder = library.Folder,
                    models = list.Select(m => new
                    {
                        name = m.Name, path = m.Path, origin = m.Origin.ToString().ToLowerInvariant(), bytes = m.BytesOnDisk, loads = m.Loads, error = m.Error,
                        architecture = m.Details?.Architecture, parameters = m.Details?.Parameters, dtype = m.Details?.DType,
                        context_length = m.Details?.ContextLength, template = m.Details?.SuggestedTemplate,
                        adapters = adapters.Where(a => a.BaseName == m.Name).Select(a => a.Id),
                    }),
                    adapters = adapters.Select(a => new
                    {
                        id = a.Id, name = a.Name, @base = a.BaseName, base_model_name_or_path = a.BaseModelNameOrPath, path = a.Path,
                        kind = a.Kind.ToLowerInvariant(), rank = a.Rank, alpha = a.Alpha, use_dora = a.UseDora, target_modules = a.TargetModules,
                        loads = a.Loads, problem = a.Problem,
                    }),
                });
                return 0;
            }
            if (list.Count == 0) Console.WriteLine($"no models in {library.Folder}");
            foreach (var m in list)
            {
                Console.WriteLine(m.Details is { } d
                    ? $"{m.Name,-32} {d.Architecture,-20} {d.Parameters / 1e6,8:F1}M {d.DType,-9} {DownloadProgress.Bytes(m.BytesOnDisk),10} ctx {d.ContextLength,-7} {d.SuggestedTemplate,-8} {(m.Origin == ModelOrigin.Registered ? m.Path : "")}"
                    : $"{m.Name,-32} does not load: {m.Error}");
                foreach (var a in adapters.Where(a => a.BaseName == m.Name)) Console.WriteLine(AdapterLine(a));
            }
            var orphans = adapters.Where(a => !list.Any(m => m.Name == a.BaseName)).ToList();
            if (orphans.Count > 0) Console.WriteLine("adapters without a local base model:");
            foreach (var a in orphans) Console.WriteLine(AdapterLine(a));
            return 0;
        }));
        return command;
    }

    static string AdapterLine(LocalAdapter a) => a.Problem is null
        ? $"  adapter {a.Id,-30} {a.Kind} rank {a.Rank} alpha {a.Alpha} on {string.Join(",", a.TargetModules)}"
        : $"  adapter {a.Id,-30} does not load: {a.Problem}";

    static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "the model's name as `model list` shows it" };
        var models = ModelsFolder();
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "the data folder whose queued and running runs must not lose their model (default: $STYLESTUDIO_DATA, else ~/.local/share/StyleStudio)",
            DefaultValueFactory = _ => new DirectoryInfo(DataStore.DefaultFolder),
        };
        var command = new Command("rm", "Remove a model: deletes a downloaded folder, forgets a registered one (its folder stays)") { name, models, data };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            // The store's lock also tells us when the studio is running: it might be serving the model, so it decides.
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            string model = parse.GetValue(name)!;
            var origin = new LocalModels(parse.GetValue(models)!.FullName).Remove(model, new ActiveRuns(store));
            Console.WriteLine(origin == ModelOrigin.Registered ? $"forgot '{model}' (its folder is left in place)" : $"deleted '{model}'");
            return 0;
        }));
        return command;
    }

    /// <summary>Queued or running runs of the data folder that train on a model.</summary>
    sealed class ActiveRuns(DataStore store) : IModelUsers
    {
        public IReadOnlyList<string> UsersOf(string modelName) =>
            store.Runs.ActiveOn(modelName).Select(r => $"run {r.Id} '{r.Name}' is {r.Status.ToString().ToLowerInvariant()}").ToList();
    }

    /// <summary>Progress on stderr: one updating line on a terminal, a line a second when redirected.</summary>
    sealed class ProgressLines : IProgress<DownloadProgress>
    {
        DateTime last = DateTime.MinValue;

        public void Report(DownloadProgress value)
        {
            if (!Console.IsErrorRedirected)
            {
                Console.Error.Write($"\r{value,-100}");
                return;
            }
            if (DateTime.UtcNow - last < TimeSpan.FromSeconds(1)) return;
            last = DateTime.UtcNow;
            Console.Error.WriteLine(value);
        }
    }
}
