using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;

namespace StyleStudio.Training.Adapters;

/// <summary>One linear projection LoRA can wrap, as a model's weights have it.</summary>
/// <param name="Name">Hugging Face name, e.g. <c>q_proj</c> (what <c>lora_target</c> lists).</param>
/// <param name="Block"><c>self_attn</c> or <c>mlp</c>.</param>
/// <param name="InFeatures">Input width of the projection.</param>
/// <param name="OutFeatures">Output width.</param>
/// <param name="Layers">Decoder layers that have this projection.</param>
public sealed record TargetModule(string Name, string Block, int InFeatures, int OutFeatures, int Layers)
{
    /// <summary>Adapter parameters per layer at rank <paramref name="rank"/>: A [r, in] + B [out, r].</summary>
    public long AdapterParameters(int rank) => (long)rank * (InFeatures + OutFeatures);
}

/// <summary>
/// The projections a model offers LoRA, and the mapping between a chosen subset and the <c>lora_target</c> setting
/// ("all" when every one is chosen, else the names comma-separated, as LLaMA-Factory writes it). The trainer wraps the
/// projections of <see cref="LoraConfig.AllLinear"/> that the decoder blocks hold; here they are read from the checkpoint,
/// so a form lists what this model really has, with its shapes.
/// </summary>
public static class LoraTargets
{
    /// <summary>The value of <c>lora_target</c> meaning every linear projection.</summary>
    public const string All = "all";

    /// <summary>The LoRA-able projections of the model in <paramref name="modelFolder"/>, in the trainer's order.</summary>
    /// <exception cref="ModelLoadException">config.json or the weights are missing or unreadable.</exception>
    public static IReadOnlyList<TargetModule> Of(string modelFolder)
    {
        var config = ModelConfig.Load(modelFolder);
        using var weights = SafetensorsCheckpoint.Open(modelFolder);
        var found = new List<TargetModule>();
        foreach (var name in LoraConfig.AllLinear)
        {
            string block = LoraConfig.IsMlp(name) ? "mlp" : "self_attn";
            var shapes = Enumerable.Range(0, config.NumHiddenLayers)
                .Select(layer => $"model.layers.{layer}.{block}.{name}.weight")
                .Where(weights.Contains)
                .Select(tensor => weights.Entry(tensor).Shape)
                .ToList();
            if (shapes is [[var outFeatures, var inFeatures], ..])
                found.Add(new TargetModule(name, block, (int)inFeatures, (int)outFeatures, shapes.Count));
        }
        return found;
    }

    /// <summary>The projections of a config's shape, without reading weights (for estimates from config.json alone).</summary>
    public static IReadOnlyList<TargetModule> Of(ModelConfig config)
    {
        int h = config.HiddenSize, q = config.NumAttentionHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        int layers = config.NumHiddenLayers, i = config.IntermediateSize;
        TargetModule[] gateUp = config.FusedGateUp
            ? [new("gate_up_proj", "mlp", h, 2 * i, layers)]
            : [new("gate_proj", "mlp", h, i, layers), new("up_proj", "mlp", h, i, layers)];
        return
        [
            new("q_proj", "self_attn", h, q, layers), new("k_proj", "self_attn", h, kv, layers),
            new("v_proj", "self_attn", h, kv, layers), new("o_proj", "self_attn", q, h, layers),
            .. gateUp, new("down_proj", "mlp", i, h, layers),
        ];
    }

    /// <summary>The projections a <c>lora_target</c> value selects among <paramref name="available"/>.</summary>
    public static IReadOnlyList<TargetModule> Selected(string setting, IReadOnlyList<TargetModule> available)
    {
        var names = Names(setting);
        return names.Contains(All) || names.Contains("all-linear") ? available : available.Where(t => names.Contains(t.Name)).ToList();
    }

    /// <summary>The <c>lora_target</c> value for <paramref name="chosen"/>: "all" when it covers every available projection.</summary>
    public static string Setting(IEnumerable<string> chosen, IReadOnlyList<TargetModule> available)
    {
        var set = chosen.ToHashSet();
        if (available.Count > 0 && available.All(t => set.Contains(t.Name))) return All;
        return string.Join(",", available.Where(t => set.Contains(t.Name)).Select(t => t.Name));
    }

    static HashSet<string> Names(string setting) =>
        setting.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
}
