using StyleStudio.Training.Trainer;
using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Adapters;

namespace StyleStudio.Web.Training;

/// <summary>A run's downloads: every stored step as CSV, its trained adapter (or model) folder as a zip, and its latest
/// GGUF export with the Ollama Modelfile beside it.</summary>
public static class RunDownloads
{
    public const string Path = "/runs";

    public static RouteGroupBuilder MapRunDownloads(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path);
        group.MapGet("/{id:int}/metrics.csv", MetricsCsv);
        group.MapGet("/{id:int}/settings.yaml", SettingsYaml);
        group.MapGet("/{id:int}/adapter.zip", AdapterZip);
        group.MapGet("/{id:int}/export.gguf", (int id, RunExports exports) => Exported(exports, id, modelfile: false));
        group.MapGet("/{id:int}/export.Modelfile", (int id, RunExports exports) => Exported(exports, id, modelfile: true));
        return group;
    }

    /// <summary>A finished export's file, with range requests (a GGUF runs to gigabytes; an interrupted download resumes).</summary>
    static IResult Exported(RunExports exports, int id, bool modelfile)
    {
        if (exports.FilePath(id) is not { } gguf) return Results.NotFound($"run {id} has no finished GGUF export");
        string file = modelfile ? System.IO.Path.ChangeExtension(gguf, ".Modelfile") : gguf;
        return Results.File(file, modelfile ? "text/plain; charset=utf-8" : "application/octet-stream", System.IO.Path.GetFileName(file),
            enableRangeProcessing: true);
    }

    /// <summary>The run's settings as a LLaMA-Factory YAML run file, with the studio's model folder and dataset filled in.</summary>
    static IResult SettingsYaml(int id, DataStore store, ModelCatalog models)
    {
        if (Find(store, id) is not { } run) return Results.NotFound($"no run with id {id}");
        var settings = TrainConfig.From(run.Settings with { ModelPath = ModelFolder(models, run.Model), OutputDir = null });
        settings.Dataset = run.DatasetName;
        string yaml = RunSettingsYaml.Write(settings,
            $"StyleStudio run {run.Id} ({run.Name}): dataset {run.DatasetName} v{run.DatasetVersion}{(run.Style is null ? "" : $", style {run.Style}")}\n" +
            $"to train it again: stylestudio data export {run.DatasetName} --out DIR, then stylestudio train --config THIS.yaml --dataset DIR/FILE --output OUT");
        return Results.Text(yaml, "application/yaml; charset=utf-8", System.Text.Encoding.UTF8);
    }

    /// <summary>The model's folder on this machine, or its name when the folder is gone.</summary>
    static string ModelFolder(ModelCatalog models, string model)
    {
        try
        {
            return models.Path(model);
        }
        catch (ArgumentException)
        {
            return model;
        }
    }

    static IResult MetricsCsv(int id, DataStore store)
    {
        if (Find(store, id) is not { } run) return Results.NotFound($"no run with id {id}");
        var metrics = store.Runs.Metrics(id);
        return Results.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, leaveOpen: true);
            await writer.WriteLineAsync(CsvHeader);
            foreach (var metric in metrics) await writer.WriteLineAsync(CsvLine(metric));
        }, "text/csv; charset=utf-8", $"run-{run.Id}-metrics.csv");
    }

    public const string CsvHeader =
        "step,total_steps,epoch,loss,learning_rate,grad_norm,eval_loss,tokens_per_second,elapsed_seconds,remaining_seconds,memory_bytes";

    /// <summary>One step in invariant culture, round-trip precision: the file is data for tools, not for reading.</summary>
    public static string CsvLine(TrainingEvent m) => string.Join(',',
        m.Step.ToString(CultureInfo.InvariantCulture), m.TotalSteps.ToString(CultureInfo.InvariantCulture), Number(m.Epoch),
        Number(m.Loss), Number(m.LearningRate), m.GradNorm is { } g ? Number(g) : "", m.EvalLoss is { } e ? Number(e) : "",
        Number(m.TokensPerSecond), Number(m.ElapsedSeconds), Number(m.RemainingSeconds),
        m.MemoryBytes?.ToString(CultureInfo.InvariantCulture) ?? "");

    static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The files at the top of a completed run's folder (adapter_config.json and weights, or a full checkpoint), without
    /// its checkpoint-N folders, zipped straight into the response.
    /// </summary>
    static IResult AdapterZip(int id, DataStore store, HttpContext context)
    {
        if (Find(store, id) is not { } run) return Results.NotFound($"no run with id {id}");
        var files = HasResult(run) ? Directory.GetFiles(run.OutputDir) : [];
        if (files.Length == 0) return Results.NotFound($"run {id} has no trained adapter (not completed, or its folder is gone)");
        return Results.Stream(body =>
        {
            // ZipArchive writes synchronously; this request is a download on its own thread, so allow it here only.
            context.Features.Get<IHttpBodyControlFeature>()!.AllowSynchronousIO = true;
            using var zip = new ZipArchive(body, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var file in files.Order(StringComparer.Ordinal))
            {
                // Weights barely compress; compressing them would only cost time.
                var level = file.EndsWith(".json", StringComparison.Ordinal) || file.EndsWith(".txt", StringComparison.Ordinal)
                    ? CompressionLevel.Fastest : CompressionLevel.NoCompression;
                zip.CreateEntryFromFile(file, System.IO.Path.GetFileName(file), level);
            }
            return Task.CompletedTask;
        }, "application/zip", $"{FileName(run)}.zip");
    }

    /// <summary>Whether the run finished with a trained result in its folder (what the adapter download serves).</summary>
    public static bool HasResult(RunRecord run) => run.Status == RunStatus.Completed && Directory.Exists(run.OutputDir) &&
        (File.Exists(System.IO.Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)) || File.Exists(System.IO.Path.Combine(run.OutputDir, "config.json")));

    static string FileName(RunRecord run)
    {
        var invalid = System.IO.Path.GetInvalidFileNameChars();
        string name = new(run.Name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '-' : c).ToArray());
        return $"run-{run.Id}-{name}";
    }

    static RunRecord? Find(DataStore store, int id)
    {
        try { return store.Runs.Get(id); }
        catch (ArgumentException) { return null; }
    }
}
