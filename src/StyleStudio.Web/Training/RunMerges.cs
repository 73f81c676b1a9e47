using System.Collections.Concurrent;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Adapters;
using StyleStudio.Web.Services;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Training;

/// <summary>Where merging a run's adapter into a full model stands.</summary>
/// <param name="Model">The merged model's folder name in the models folder.</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record MergeState(string Model, bool Done, string? Error);

/// <summary>
/// Merging a finished run's adapter into its base, as a new model in the models folder (a plain Hugging Face checkpoint
/// for llama.cpp's converter, vLLM or transformers, and a base the studio itself lists and serves). The merge runs on the
/// CPU in fp32 beside serving; it is written to a hidden folder and renamed when complete, so the Models page never
/// lists a half-written model. Pages follow it through <see cref="Subscribe"/>.
/// </summary>
public sealed class RunMerges(DataStore store, ModelCatalog models, ILogger<RunMerges> logger)
{
    readonly ConcurrentDictionary<int, MergeState> states = new();
    readonly ConcurrentDictionary<int, List<Action<MergeState>>> listeners = new();

    public MergeState? State(int runId) => states.GetValueOrDefault(runId);

    /// <summary>Starts merging run <paramref name="runId"/>; refused (with the reason) unless it is a finished adapter run.</summary>
    public MergeState Start(int runId)
    {
        var run = store.Runs.Get(runId);
        if (run.Status != RunStatus.Completed) throw new InvalidOperationException($"run {run.Id} is {run.Status.ToString().ToLowerInvariant()}; only a completed run can be merged");
        if (!run.Settings.TrainsAdapters || !File.Exists(Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)))
            throw new InvalidOperationException($"run {run.Id} saved no adapter to merge (a full or freeze run is already a whole model: {run.OutputDir})");
        if (states.TryGetValue(runId, out var current) && !current.Done) return current;
        string baseFolder = models.Path(run.Model);
        string name = FreeName($"{run.Model}-run{run.Id}-merged");
        var state = Publish(runId, new MergeState(name, false, null));
        _ = Task.Run(() =>
        {
            string target = Path.Combine(models.Folder, name), partial = Path.Combine(models.Folder, "." + name + ".partial");
            try
            {
                AdapterMerger.MergeFolders(baseFolder, run.OutputDir, partial);
                Directory.Move(partial, target);
                Publish(runId, state with { Done = true });
            }
            catch (Exception e)
            {
                logger.LogError(e, "merging run {Run} failed", runId);
                if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
                Publish(runId, state with { Done = true, Error = e.Message });
            }
        });
        return state;
    }

    /// <summary>Calls <paramref name="changed"/> on every change of run <paramref name="runId"/>'s merge until disposed.</summary>
    public IDisposable Subscribe(int runId, Action<MergeState> changed)
    {
        changed = PageCulture.Keep(changed);   // runs in the subscriber's language, whoever publishes
        var list = listeners.GetOrAdd(runId, _ => []);
        lock (list) list.Add(changed);
        return new Subscription(() => { lock (list) list.Remove(changed); });
    }

    MergeState Publish(int runId, MergeState state)
    {
        states[runId] = state;
        if (listeners.TryGetValue(runId, out var list))
        {
            Action<MergeState>[] copy;
            lock (list) copy = [.. list];
            foreach (var changed in copy) changed(state);
        }
        return state;
    }

    string FreeName(string name)
    {
        string candidate = name;
        for (int i = 2; Directory.Exists(Path.Combine(models.Folder, candidate)); i++) candidate = $"{name}-{i}";
        return candidate;
    }

    sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
