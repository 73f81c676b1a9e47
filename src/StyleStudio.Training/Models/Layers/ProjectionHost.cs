using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// A module holding named linear projections (attention's q/k/v/o, the MLP's gate/up/down) whose forward goes through
/// whatever currently stands under each name: the base layer, or an adapter wrapping it. Wrapping re-registers the
/// adapter under the same name, so parameter names follow PEFT (<c>q_proj.base_layer.weight</c>, <c>q_proj.lora_A.weight</c>).
/// </summary>
public abstract class ProjectionHost(string name) : nn.Module(name)
{
    readonly Dictionary<string, LinearLayer> baseLayers = [];
    readonly Dictionary<string, nn.Module<Tensor, Tensor>> active = [];

    /// <summary>The base layers by Hugging Face name, whatever wraps them.</summary>
    public IReadOnlyDictionary<string, LinearLayer> BaseLayers => baseLayers;

    /// <summary>What forward runs under each name: a base layer or its adapter.</summary>
    public IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>> Active => active;

    protected LinearLayer AddProjection(string projection, LinearLayer layer)
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

    protected Tensor Project(string projection, Tensor input) => active[projection].forward(input);
}
