using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Training.Serving;

/// <summary>An adapter attached to a served base: its slot in the bank (0 is the base itself), rank and kind.</summary>
public sealed record AttachedAdapter(string Name, string Folder, int Slot, int Rank, bool IsDora, IReadOnlyList<string> Targets);

/// <summary>
/// Every LoRA/DoRA adapter attached to one base, unmerged, laid out for serve_step's batched adapters: per layer and
/// projection the adapters' A matrices concatenated along the rank axis ([K, in]) and their B matrices, pre-multiplied by
/// each adapter's scaling, likewise ([out, K]); DoRA adapters also get g = m / ‖W + s·B·A‖ per output row (G: [S, out],
/// row 0 the base, ones for plain LoRA). A batch row picks its adapter with a mask over the K columns holding its strength.
/// </summary>
/// <remarks>
/// Each adapter's own tensors are kept in host memory, so attaching or detaching one rebuilds the bank without rereading
/// files while the device holds the bank alone. Changed only by the engine's thread, between steps, so a step always sees
/// one consistent bank.
/// </remarks>
public sealed class AdapterBank : IDisposable
{
    /// <summary>The script's twelve tensors per layer: A, B and G blocks of q|k|v, o, gate|up and down.</summary>
    internal const int TensorsPerLayer = 12;

    readonly CausalLM model;
    readonly List<(AttachedAdapter Adapter, AdapterWeights Weights)> attached = [];
    readonly int lead;                                     // zero columns before the adapters' blocks (see Columns)
    Tensor[] layerTensors = [];

    public AdapterBank(CausalLM model)
    {
        this.model = model;
        int minimum = BatchInvariance.MinimumColumns(model.Device, model.DType);
        lead = minimum > 1 ? minimum : 0;
    }

    public IReadOnlyList<AttachedAdapter> Adapters => attached.Select(a => a.Adapter).ToList();

    /// <summary>
    /// The width of the concatenated rank axis (a row's mask), 0 with no adapter attached. On the CPU the adapters' blocks
    /// follow <see cref="BatchInvariance.MinimumColumns"/> zero columns (zero rows of A, columns of B): the axis is then
    /// wide enough for libtorch's GEMM to round a column alike whatever its width, and no block starts at column 0,
    /// where a row-wise step rounds a block differently from anywhere else — so a row's arithmetic does not depend on
    /// which other adapters are attached, or in which order.
    /// </summary>
    public int Columns => attached.Count == 0 ? 0 : lead + attached.Sum(a => a.Adapter.Rank);

    /// <summary>Slots: the base (0) plus each adapter.</summary>
    public int Slots => attached.Count + 1;

    public bool HasDora => attached.Any(a => a.Adapter.IsDora);

    /// <summary>The flat per-layer list serve_step reads, or empty without adapters.</summary>
    public IReadOnlyList<Tensor> LayerTensors => layerTensors;

    /// <summary>Bytes on the device: the bank (each adapter's own tensors wait in host memory for the next rebuild).</summary>
    public long Bytes => layerTensors.Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>Bumped on every change, so masks built for a batch and captured graphs know to rebuild.</summary>
    public int Version { get; private set; }

    public AttachedAdapter? Find(string name) => attached.Select(a => a.Adapter).FirstOrDefault(a => a.Name == name);

    /// <summary>First column of <paramref name="adapter"/>'s block on the concatenated rank axis.</summary>
    public int ColumnOffset(AttachedAdapter adapter) => lead + attached.TakeWhile(a => a.Adapter != adapter).Sum(a => a.Adapter.Rank);

    /// <summary>Reads a PEFT adapter folder and adds it to the bank; the folder is validated whole before anything changes.</summary>
    public AttachedAdapter Add(string name, string folder)
    {
        if (Find(name) is not null) throw new ArgumentException($"an adapter named '{name}' is already attached", nameof(name));
        var config = PeftAdapter.ReadConfig(folder);
        var weights = AdapterWeights.Read(model, folder, config);
        var adapter = new AttachedAdapter(name, folder, attached.Count + 1, config.Rank, config.UseDora, config.ResolvedTargets);
        attached.Add((adapter, weights));
        Rebuild();
        return adapter;
    }

    /// <summary>Detaches an adapter; the others keep serving (slots after it move down by one).</summary>
    public void Remove(string name)
    {
        int index = attached.FindIndex(a => a.Adapter.Name == name);
        if (index < 0) throw new ArgumentException($"no adapter named '{name}' is attached", nameof(name));
        attached[index].Weights.Dispose();
        attached.RemoveAt(index);
        for (int i = index; i < attached.Count; i++) attached[i] = (attached[i].Adapter with { Slot = i + 1 }, attached[i].Weights);
        Rebuild();
    }

    void Rebuild()
    {
        var next = new List<Tensor>();
        if (attached.Count > 0)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var all = attached.Select(a => a.Weights).ToList();
            for (int layer = 0; layer < model.Config.NumHiddenLayers; layer++)
            {
                // Laid out in host memory (where each adapter's tensors wait) and copied to the device once: only the
                // bank's final tensors are ever allocated there, so a rebuild leaves no blocks of its own behind in
                // libtorch's caching allocator beyond the previous bank's.
                AdapterWeights.Projection P(AdapterWeights w, string name) => w.Layers[layer][name];
                IEnumerable<Tensor> Led(IEnumerable<Tensor> blocks, long[] shape) => lead > 0 ? blocks.Prepend(zeros(shape, model.DType)) : blocks;
                Tensor A(params string[] names) => cat(names.SelectMany(n =>
                    Led(all.Select(w => P(w, n).A), [lead, P(all[0], n).A.shape[1]])).ToList(), 0);
                Tensor B(string name) => cat(Led(all.Select(w => P(w, name).B), [P(all[0], name).B.shape[0], lead]).ToList(), 1);
                Tensor G(params string[] names)
                {
                    long rows = names.Sum(n => P(all[0], n).B.shape[0]);
                    var baseRow = ones([1, rows], model.DType);
                    return cat([baseRow, .. all.Select(w => cat(names.Select(n => P(w, n).G).ToList(), 0).unsqueeze(0))], 0);
                }
                // q|k|v's B blocks on the diagonal of one [rows, 3K] matrix: one GEMM for the three, at the price of the
                // zeros off the diagonal (small beside gate|up's, whose two blocks of equal height are stacked instead).
                Tensor BlockDiagonal(params string[] names)
                {
                    var blocks = names.Select(B).ToList();
                    var matrix = zeros([blocks.Sum(b => b.shape[0]), blocks.Sum(b => b.shape[1])], model.DType);
                    long row = 0, column = 0;
                    foreach (var block in blocks)
                    {
                        matrix.narrow(0, row, block.shape[0]).narrow(1, column, block.shape[1]).copy_(block);
                        (row, column) = (row + block.shape[0], column + block.shape[1]);
                    }
                    return matrix;
                }
                Tensor[] host =
                [
                    A("q_proj", "k_proj", "v_proj"), BlockDiagonal("q_proj", "k_proj", "v_proj"), G("q_proj", "k_proj", "v_proj"),
                    A("o_proj"), B("o_proj"), G("o_proj"),
                    A("gate_proj", "up_proj"), stack([B("gate_proj"), B("up_proj")]), G("gate_proj", "up_proj"),
                    A("down_proj"), B("down_proj"), G("down_proj"),
                ];
                next.AddRange(host.Select(t => t.to(model.Device)));
            }
            foreach (var t in next) t.DetachFromDisposeScope();
        }
        foreach (var t in layerTensors) t.Dispose();
        layerTensors = [.. next];
        Version++;
    }

    public void Dispose()
    {
        foreach (var t in layerTensors) t.Dispose();
        foreach (var (_, weights) in attached) weights.Dispose();
        layerTensors = [];
        attached.Clear();
    }
}

/// <summary>
/// One adapter's tensors per layer and projection, in the base's dtype, in host memory: A [r, in], s·B [out, r] and g [out]
/// (m / ‖W + s·B·A‖ for DoRA, ones otherwise). Projections the adapter does not target hold zeros.
/// </summary>
sealed class AdapterWeights : IDisposable
{
    public sealed record Projection(Tensor A, Tensor B, Tensor G);

    const string KeyPrefix = PeftAdapter.KeyPrefix + "model.layers.";
    static readonly string[] Names = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    static readonly string[] FusedNames = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"];

    public required IReadOnlyList<IReadOnlyDictionary<string, Projection>> Layers { get; init; }

    public static AdapterWeights Read(CausalLM model, string folder, LoraConfig config)
    {
        string path = Path.Combine(folder, PeftAdapter.WeightsFile);
        if (!File.Exists(path)) throw new ModelLoadException(path, null, "not found: a PEFT adapter folder needs adapter_model.safetensors");
        using var file = new SafetensorsFile(path);
        var targets = config.ResolvedTargets.ToHashSet();
        var expected = new HashSet<string>();
        var layers = new List<IReadOnlyDictionary<string, Projection>>();
        try
        {
            for (int layer = 0; layer < model.Config.NumHiddenLayers; layer++)
            {
                var decoder = model.Model.Layers[layer];
                var projections = new Dictionary<string, Projection>();
                foreach (var (name, host) in decoder.Mlp.BaseLayers.ContainsKey("gate_up_proj")
                             ? FusedNames.Select(n => (n, LoraConfig.IsMlp(n) ? (Models.Layers.ProjectionHost)decoder.Mlp : decoder.SelfAttention))
                             : Names.Select(n => (n, LoraConfig.IsMlp(n) ? (Models.Layers.ProjectionHost)decoder.Mlp : decoder.SelfAttention)))
                {
                    var baseLayer = host.BaseLayers[name];
                    string key = $"{KeyPrefix}{layer}.{(host == decoder.Mlp ? "mlp" : "self_attn")}.{name}.";
                    projections[name] = targets.Contains(name)
                        ? ReadProjection(file, key, baseLayer, config, expected)
                        : Untargeted(baseLayer, config.Rank, model);
                }
                if (projections.Remove("gate_up_proj", out var gateUp))
                    (projections["gate_proj"], projections["up_proj"]) = SplitGateUp(gateUp);
                layers.Add(projections);
            }
        }
        catch
        {
            foreach (var projection in layers.SelectMany(l => l.Values)) Release(projection);
            throw;
        }
        var unexpected = file.Entries.Keys.Where(k => !expected.Contains(k)).Order().ToList();
        if (unexpected.Count > 0)
        {
            foreach (var projection in layers.SelectMany(l => l.Values)) Release(projection);
            throw new ModelLoadException(path, unexpected[0], $"{unexpected.Count} tensor(s) have no place in this model's adapters");
        }
        return new AdapterWeights { Layers = layers };
    }

    static Projection ReadProjection(SafetensorsFile file, string key, Models.Layers.BaseProjection baseLayer, LoraConfig config, HashSet<string> expected)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = baseLayer.WeightDevice;
        Tensor Read(string name, long[] shape)
        {
            if (!file.Entries.ContainsKey(key + name))
                throw new ModelLoadException(file.Path, key + name, "missing (was the adapter trained on this architecture?)");
            expected.Add(key + name);
            var t = empty(shape, ScalarType.Float32, device);
            file.ReadInto(key + name, t);
            return t;
        }
        var a = Read("lora_A.weight", [config.Rank, baseLayer.InFeatures]);
        var b = Read("lora_B.weight", [baseLayer.OutFeatures, config.Rank]) * config.Scaling;
        var g = ones([baseLayer.OutFeatures], ScalarType.Float32, device);
        if (config.UseDora)
        {
            // PEFT's DoRA: the magnitude m divided by the row norms of the adapted weight W + s·B·A (fixed once loaded).
            var magnitude = Read("lora_magnitude_vector", [baseLayer.OutFeatures]);
            g = magnitude / (baseLayer.DenseWeight(ScalarType.Float32) + b.matmul(a)).norm(1);
        }
        var dtype = ModelDType(baseLayer);
        return Keep(new Projection(a.to(dtype, CPU), b.to(dtype, CPU), g.to(dtype, CPU)));
    }

    /// <summary>
    /// GLM's fused gate_up_proj adapter as the gate and up adapters it is equivalent to: B·A·x stacks B's gate rows·A·x on
    /// its up rows·A·x, so each half keeps A whole and takes its rows of B and g. The bank then lays them out like any
    /// model's gate and up (the base's fused weight has the same gate-then-up rows), at the price of A twice.
    /// </summary>
    static (Projection Gate, Projection Up) SplitGateUp(Projection fused)
    {
        long rows = fused.B.shape[0] / 2;
        var gate = new Projection(fused.A.clone(), fused.B.narrow(0, 0, rows).clone(), fused.G.narrow(0, 0, rows).clone());
        var up = new Projection(fused.A.clone(), fused.B.narrow(0, rows, rows).clone(), fused.G.narrow(0, rows, rows).clone());
        Release(fused);
        return (gate, up);
    }

    static ScalarType ModelDType(Models.Layers.BaseProjection baseLayer) =>
        baseLayer is Models.Layers.LinearLayer dense ? dense.Weight.dtype
        : throw new NotSupportedException("adapters are served on an unquantized base");

    static Projection Untargeted(Models.Layers.BaseProjection baseLayer, int rank, CausalLM model)
    {
        using var scope = NewDisposeScope();
        return Keep(new Projection(zeros([rank, baseLayer.InFeatures], model.DType),
            zeros([baseLayer.OutFeatures, rank], model.DType), ones([baseLayer.OutFeatures], model.DType)));
    }

    static Projection Keep(Projection p) =>
        new(p.A.DetachFromDisposeScope(), p.B.DetachFromDisposeScope(), p.G.DetachFromDisposeScope());

    static void Release(Projection p)
    {
        p.A.Dispose();
        p.B.Dispose();
        p.G.Dispose();
    }

    public void Dispose()
    {
        foreach (var projection in Layers.SelectMany(l => l.Values)) Release(projection);
    }
}
