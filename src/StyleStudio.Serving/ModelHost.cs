using StyleStudio.Training;
using StyleStudio.Training.Serving;

namespace StyleStudio.Serving;

/// <summary>
/// The one place that loads base models onto the device and attaches adapters to them. Each loaded base gets a
/// <see cref="BatchEngine"/>; adapters are attached unmerged on first use (attaching never stops generations on other
/// adapters) and stay attached. At most <see cref="ServingOptions.MaxLoadedBases"/> bases are kept: loading another
/// unloads the least recently used base that serves no request.
/// </summary>
public sealed class ModelHost(ServingOptions options, ModelLoadOptions? load = null) : IDisposable
{
    readonly SemaphoreSlim loading = new(1, 1);
    readonly Dictionary<string, HostedBase> bases = [];
    bool disposed;

    /// <summary>The bases loaded now.</summary>
    public IReadOnlyList<HostedBase> Loaded
    {
        get { lock (bases) return bases.Values.ToList(); }
    }

    /// <summary>
    /// The base of <paramref name="model"/> loaded, with its adapter attached; the lease keeps the base loaded until
    /// disposed.
    /// </summary>
    public async Task<BaseLease> AcquireAsync(ServableModel model, CancellationToken cancellation = default)
    {
        if (model.Problem is { } problem) throw new ArgumentException($"model '{model.Id}' cannot be served: {problem}");
        var lease = await LeaseBaseAsync(model, cancellation);
        try
        {
            if (model.AdapterFolder is { } folder) await lease.Base.AttachAsync(folder);
            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>How long a request for a base that is not loaded waits for a loaded one to fall idle and make room.</summary>
    public static readonly TimeSpan RoomWait = TimeSpan.FromSeconds(60);

    async Task<BaseLease> LeaseBaseAsync(ServableModel model, CancellationToken cancellation)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await loading.WaitAsync(cancellation);
            try
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                HostedBase? hosted;
                lock (bases) bases.TryGetValue(model.BaseFolder, out hosted);
                if (hosted is null && MakeRoom(waited.Elapsed >= RoomWait))
                {
                    hosted = await Task.Run(() => Load(model), cancellation);
                    lock (bases) bases[model.BaseFolder] = hosted;
                }
                if (hosted is not null) return hosted.Lease();
            }
            finally
            {
                loading.Release();
            }
            // Every loaded base is serving: wait for one to fall idle, without holding up requests for loaded bases.
            await Task.Delay(50, cancellation);
        }
    }

    HostedBase Load(ServableModel model)
    {
        var pretrained = PretrainedModel.Load(model.BaseFolder, load ?? new ModelLoadOptions());
        try
        {
            int rows = options.Rows ?? (pretrained.Device.IsCuda ? 32 : 8);
            var engine = new BatchEngine(pretrained.Network, new EngineOptions(rows, options.SlotTokens, options.UseCudaGraphs, PipelineSteps: options.PipelineSteps));
            return new HostedBase(model.BaseName, model.BaseFolder, pretrained, engine);
        }
        catch
        {
            pretrained.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Unloads idle bases, least recently used first, until one more fits the limit; false when every loaded base is
    /// serving (after <paramref name="giveUp"/>, an error saying so instead).
    /// </summary>
    bool MakeRoom(bool giveUp)
    {
        lock (bases)
        {
            while (bases.Count >= Math.Max(1, options.MaxLoadedBases))
            {
                var idle = bases.Values.Where(b => b.Leases == 0).MinBy(b => b.LastUsed);
                if (idle is null)
                    return giveUp ? throw new InvalidOperationException(
                        $"{bases.Count} model(s) have been serving requests for {RoomWait.TotalSeconds:N0} s and Studio:Serving:MaxLoadedBases is {options.MaxLoadedBases}; try again when they finish")
                        : false;
                bases.Remove(idle.Folder);
                idle.Dispose();
            }
            return true;
        }
    }

    /// <summary>Unloads a base now if it is loaded and idle (e.g. before its folder is deleted); false if it is serving.</summary>
    public bool Unload(string baseFolder)
    {
        loading.Wait();   // no lease is handed out meanwhile
        try
        {
            lock (bases)
            {
                if (!bases.TryGetValue(baseFolder, out var hosted)) return true;
                if (hosted.Leases > 0) return false;
                bases.Remove(baseFolder);
                hosted.Dispose();
                return true;
            }
        }
        finally
        {
            loading.Release();
        }
    }

    public void Dispose()
    {
        disposed = true;
        lock (bases)
        {
            foreach (var hosted in bases.Values) hosted.Dispose();
            bases.Clear();
        }
    }
}

/// <summary>A base model loaded by <see cref="ModelHost"/>, with its engine and attached adapters.</summary>
public sealed class HostedBase(string name, string folder, PretrainedModel model, BatchEngine engine) : IDisposable
{
    readonly Dictionary<string, Task<AttachedAdapter>> attaching = [];
    int leases;

    public string Name { get; } = name;
    public string Folder { get; } = folder;
    public PretrainedModel Model { get; } = model;
    public BatchEngine Engine { get; } = engine;
    public DateTime LastUsed { get; private set; } = DateTime.UtcNow;
    public int Leases => Volatile.Read(ref leases);

    internal BaseLease Lease()
    {
        Interlocked.Increment(ref leases);
        LastUsed = DateTime.UtcNow;
        return new BaseLease(this);
    }

    internal void Return()
    {
        LastUsed = DateTime.UtcNow;
        Interlocked.Decrement(ref leases);
    }

    /// <summary>Attaches the adapter in <paramref name="folder"/> once (concurrent callers share the attach); its engine name is the folder.</summary>
    public async Task<AttachedAdapter> AttachAsync(string folder)
    {
        Task<AttachedAdapter> attach;
        lock (attaching)
        {
            if (!attaching.TryGetValue(folder, out attach!))
                attaching[folder] = attach = Engine.Adapters.FirstOrDefault(a => a.Name == folder) is { } attached
                    ? Task.FromResult(attached) : Engine.AttachAsync(folder, folder);
        }
        try
        {
            return await attach;
        }
        catch
        {
            lock (attaching) attaching.Remove(folder);    // a failed attach is tried afresh next time
            throw;
        }
    }

    public void Dispose()
    {
        Engine.Dispose();
        Model.Dispose();
    }
}

/// <summary>Keeps a base loaded while a request uses it.</summary>
public sealed class BaseLease(HostedBase hosted) : IDisposable
{
    int done;

    public HostedBase Base { get; } = hosted;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref done, 1) == 0) Base.Return();
    }
}
