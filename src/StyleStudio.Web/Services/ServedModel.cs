using StyleStudio.Data.Storage;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;

namespace StyleStudio.Web.Services;

/// <summary>A model loaded for the playground: base folder name, and the run whose adapter is merged into it, if any.</summary>
public sealed class LoadedModel(PretrainedModel model, string name, RunRecord? adapterRun)
{
    int users;
    bool retired;

    public PretrainedModel Model { get; } = model;
    public string Name { get; } = name;
    public RunRecord? AdapterRun { get; } = adapterRun;
    public string Description => AdapterRun is null ? Name : $"{Name} + adapter of run '{AdapterRun.Name}'";

    /// <summary>Marks a generation in progress; the model is not disposed until every lease ends.</summary>
    public IDisposable Lease()
    {
        lock (this)
        {
            if (retired) throw new ObjectDisposedException(Description, "this model was replaced; generate again");
            users++;
        }
        return new Release(this);
    }

    internal void Retire()
    {
        lock (this)
        {
            retired = true;
            if (users > 0) return;
        }
        Model.Dispose();
    }

    sealed class Release(LoadedModel owner) : IDisposable
    {
        int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 1) return;
            bool dispose;
            lock (owner) dispose = --owner.users == 0 && owner.retired;
            if (dispose) owner.Model.Dispose();
        }
    }
}

/// <summary>
/// The one model the studio serves, to the playground and to the OpenAI-compatible API (a base, optionally with a
/// run's adapter merged in, so decoding takes the compiled — on CUDA, graph-replayed — path). One GPU holds one model:
/// asking for another replaces it, and generations still running on the old one finish first.
/// </summary>
public sealed class ServedModel(ModelCatalog catalog, DataStore store) : IDisposable
{
    readonly SemaphoreSlim loading = new(1, 1);

    public LoadedModel? Current { get; private set; }

    /// <summary>Serves <paramref name="modelName"/> with run <paramref name="adapterRunId"/>'s adapter (or none); a no-op when it already is.</summary>
    public async Task<LoadedModel> LoadAsync(string modelName, int? adapterRunId, CancellationToken cancellation = default)
    {
        await loading.WaitAsync(cancellation);
        try
        {
            if (Current is { } current && current.Name == modelName && current.AdapterRun?.Id == adapterRunId) return current;
            var run = adapterRunId is { } id ? store.Runs.Get(id) : null;
            if (run is not null && !File.Exists(Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)))
                throw new ArgumentException($"run '{run.Name}' has no adapter in {run.OutputDir} (it is {run.Status.ToString().ToLowerInvariant()})");
            string path = catalog.Path(modelName);
            var model = await Task.Run(() =>
            {
                var loaded = PretrainedModel.Load(path, new ModelLoadOptions(DevicePreference.Auto));
                if (run is not null) PeftAdapter.LoadMerged(loaded.Network, run.OutputDir);
                return loaded;
            }, cancellation);
            var previous = Current;
            Current = new LoadedModel(model, modelName, run);
            previous?.Retire();
            return Current;
        }
        finally
        {
            loading.Release();
        }
    }

    public void Dispose()
    {
        Current?.Retire();
        loading.Dispose();
    }
}
