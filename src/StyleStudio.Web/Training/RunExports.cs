using System.Collections.Concurrent;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Export.Gguf;
using StyleStudio.Training.Generation;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Training;

/// <summary>Where a run's GGUF export stands.</summary>
/// <param name="File">The .gguf file's name in the exports folder.</param>
/// <param name="Stage">What the exporter is doing (merging, writing tensors, quantizing, done).</param>
/// <param name="Bytes">Size of the finished file; 0 until done.</param>
/// <param name="Caveats">Where llama.cpp will not run it exactly as the studio does.</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record ExportState(int RunId, string File, GgufExportType Type, string Stage, int TensorsDone, int TensorCount,
    bool Done, long Bytes, IReadOnlyList<string> Caveats, string? Error)
{
    public bool Succeeded => Done && Error is null;
}

/// <summary>
/// Exporting a finished run as GGUF for llama.cpp, Ollama and LM Studio: its adapter merged into the base (a full or
/// freeze run is exported as it is), written by <see cref="GgufExport"/> into the data folder's <c>exports/</c> with an
/// Ollama Modelfile beside it (the run's template; the sampling presets of a style that uses the run). Runs beside
/// serving on a background task; pages follow it through <see cref="Updates"/>, and the run's downloads serve the files.
/// </summary>
public sealed class RunExports(DataStore store, ModelCatalog models, Microsoft.Extensions.Options.IOptions<StudioOptions> options,
    ILogger<RunExports> logger)
{
    readonly ConcurrentDictionary<int, ExportState> states = new();

    /// <summary>Every change of any export; subscribers pick their run's.</summary>
    public Notifier<ExportState> Updates { get; } = new();

    public string Folder => Path.Combine(options.Value.DataFolder, "exports");

    /// <summary>
    /// The latest export of run <paramref name="runId"/>: the one this process ran, else the newest finished file an earlier
    /// studio process left in the exports folder (the exporter moves the Modelfile into place after the file, so a file
    /// with its Modelfile beside it is whole).
    /// </summary>
    public ExportState? State(int runId) => states.GetValueOrDefault(runId) ?? OnDisk(runId);

    ExportState? OnDisk(int runId)
    {
        if (!Directory.Exists(Folder)) return null;
        string marker = $"-run{runId}-";
        foreach (var file in new DirectoryInfo(Folder).EnumerateFiles("*.gguf").OrderByDescending(f => f.LastWriteTimeUtc))
        {
            int at = file.Name.LastIndexOf(marker, StringComparison.Ordinal);
            if (at < 0 || !File.Exists(Path.ChangeExtension(file.FullName, ".Modelfile"))) continue;
            string typeName = Path.GetFileNameWithoutExtension(file.Name)[(at + marker.Length)..];
            if (!GgufExportTypes.Names.Contains(typeName)) continue;
            return new ExportState(runId, file.Name, GgufExportTypes.Parse(typeName), "done", 0, 0, true, file.Length, [], null);
        }
        return null;
    }

    /// <summary>The finished .gguf of run <paramref name="runId"/>'s latest export, or null.</summary>
    public string? FilePath(int runId) => State(runId) is { Succeeded: true } state ? Path.Combine(Folder, state.File) : null;

    /// <summary>Starts exporting run <paramref name="runId"/>; refused (with the reason) unless the run finished with a result.</summary>
    public ExportState Start(int runId, GgufExportType type)
    {
        var run = store.Runs.Get(runId);
        if (run.Status != RunStatus.Completed)
            throw new InvalidOperationException($"run {run.Id} is {run.Status.ToString().ToLowerInvariant()}; only a completed run can be exported");
        if (states.TryGetValue(runId, out var current) && !current.Done) return current;
        bool adapter = run.Settings.TrainsAdapters;
        if (adapter && !File.Exists(Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)))
            throw new InvalidOperationException($"run {run.Id} saved no adapter in {run.OutputDir}");
        var request = new GgufExportRequest(
            ModelFolder: adapter ? models.Path(run.Model) : run.OutputDir,
            OutputPath: Path.Combine(Directory.CreateDirectory(Folder).FullName, $"{run.Model}-run{run.Id}-{type.Name()}.gguf"),
            Type: type, AdapterFolder: adapter ? run.OutputDir : null, Template: run.Settings.Template, Sampling: StyleSampling(run.Id));
        var state = Publish(new ExportState(runId, Path.GetFileName(request.OutputPath), type, "starting", 0, 0, false, 0, [], null));
        _ = Task.Run(() =>
        {
            try
            {
                var result = GgufExport.Run(request, new StateProgress(this, state));
                Publish(state with { Stage = "done", TensorsDone = result.TensorCount, TensorCount = result.TensorCount, Done = true, Bytes = result.Bytes, Caveats = result.Caveats });
            }
            catch (Exception e)
            {
                logger.LogError(e, "exporting run {Run} as GGUF failed", runId);
                Publish(state with { Done = true, Error = e.Message });
            }
        });
        return state;
    }

    /// <summary>The presets of a style whose adapter is this run (the first by name), as the Modelfile's parameters.</summary>
    SamplingOptions? StyleSampling(int runId) =>
        store.Styles.All().FirstOrDefault(s => s.Adapter == $"run-{runId}")?.Presets is { } presets
            ? new SamplingOptions { Temperature = presets.Temperature, TopP = presets.TopP, MaxNewTokens = presets.MaxNewTokens }
            : null;

    ExportState Publish(ExportState state)
    {
        states[state.RunId] = state;
        Updates.Publish(state);
        return state;
    }

    /// <summary>Exporter progress as the run's state; reported synchronously on the export's thread.</summary>
    sealed class StateProgress(RunExports exports, ExportState start) : IProgress<GgufExportProgress>
    {
        public void Report(GgufExportProgress value) =>
            exports.Publish(start with { Stage = value.Stage, TensorsDone = value.TensorsDone, TensorCount = value.TensorCount });
    }
}
