using StyleStudio.Training.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>An adapter standing in for a base projection (LoRA, DoRA); it can add its update to a base output computed elsewhere.</summary>
public interface IProjectionAdapter
{
    BaseProjection BaseLayer { get; }

    /// <summary>The adapted output, given the base projection's output for the same input.</summary>
    Tensor AddUpdate(Tensor input, Tensor baseOutput);
}

/// <summary>
/// A module holding named linear projections (attention's q/k/v/o, the MLP's gate/up/down) whose forward goes through
/// whatever currently stands under each name: the base layer, or an adapter wrapping it. Wrapping re-registers the
/// adapter under the same name, so parameter names follow PEFT (<c>q_proj.base_layer.weight</c>, <c>q_proj.lora_A.weight</c>).
/// </summary>
public abstract class ProjectionHost(string name) : nn.Module(name)
{
    readonly Dictionary<string, BaseProjection> baseLayers = [];
    readonly Dictionary<string, nn.Module<Tensor, Tensor>> active = [];

    /// <summary>The base layers by Hugging Face name, whatever wraps them.</summary>
    public IReadOnlyDictionary<string, BaseProjection> BaseLayers => baseLayers;

    /// <summary>What forward runs under each name: a base layer or its adapter.</summary>
    public IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>> Active => active;

    protected T AddProjection<T>(string projection, T layer) where T : BaseProjection
    {
        baseLayers[projection] = layer;
        active[projection] = layer;
        register_module(projection, layer);
        return layer;
    }

    /// <summary>Puts <paramref name="adapter"/> (which wraps the base layer) in place of projection <paramref name="projection"/>.</summary>
    public void Wrap(string projection, nn.Module<Tensor, Tensor> adapter)
    {
        if (!baseLayers.ContainsKey(projection))
            throw new ArgumentException($"no projection named {projection}", nameof(projection));
        _internal_submodules[projection] = adapter;
        active[projection] = adapter;
    }

    /// <summary>Puts the base layer back under <paramref name="projection"/>, whatever wrapped it.</summary>
    public void Unwrap(string projection)
    {
        var baseLayer = baseLayers.TryGetValue(projection, out var layer) ? layer
            : throw new ArgumentException($"no projection named {projection}", nameof(projection));
        _internal_submodules[projection] = baseLayer;
        active[projection] = baseLayer;
    }

    /// <summary>
    /// Replaces every dense base projection by its NF4 form on <paramref name="device"/> and frees the dense storage
    /// (QLoRA). Done before adapters are added, typically right after each layer's weights are loaded.
    /// </summary>
    public void QuantizeProjections(Device device)
    {
        if (active.Any(a => a.Value != baseLayers[a.Key]))
            throw new InvalidOperationException("quantize the base model before adding adapters");
        foreach (var (projection, layer) in baseLayers.ToList())
        {
            if (layer is not LinearLayer dense) continue;
            var quantized = new Nf4Linear(dense.Weight, dense.Bias, device);
            baseLayers[projection] = quantized;
            active[projection] = quantized;
            _internal_submodules[projection] = quantized;
            dense.Dispose();
        }
        ReleaseFusedStorage();
    }

    /// <summary>Frees the buffers the dense projections were views of, once those are quantized.</summary>
    protected abstract void ReleaseFusedStorage();

    protected Tensor Project(string projection, Tensor input) => active[projection].forward(input);

    /// <summary>
    /// Several projections of one input. With a fused base buffer and frozen base weights, the base part is one matmul
    /// over the fused rows, split, and each adapter adds its update; otherwise each projection runs on its own (trainable
    /// base weights must be used through their own parameters for gradients to reach them).
    /// </summary>
    protected Tensor[] ProjectShared(string[] projections, Tensor input, Tensor? fusedWeight, Tensor? fusedBias)
    {
        if (fusedWeight is null || projections.Any(p => baseLayers[p].IsTrainable))
            return projections.Select(p => Project(p, input)).ToArray();
        var rows = projections.Select(p => baseLayers[p].OutFeatures).ToArray();
        var parts = nn.functional.linear(input, fusedWeight, fusedBias).split(rows, -1);
        for (int i = 0; i < projections.Length; i++)
            if (active[projections[i]] is IProjectionAdapter adapter)
                parts[i] = adapter.AddUpdate(input, parts[i]);
        return parts;
    }
}
