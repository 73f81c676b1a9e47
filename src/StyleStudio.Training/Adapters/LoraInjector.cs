using StyleStudio.Training.Models;
using StyleStudio.Training.Models.Layers;
using static TorchSharp.torch;

namespace StyleStudio.Training.Adapters;

/// <summary>Wraps the targeted projections of every decoder layer in <see cref="LoraLinear"/> adapters.</summary>
public static class LoraInjector
{
    /// <summary>Adds fresh adapters (PEFT's initialization, from <paramref name="seed"/>); the base stays frozen.</summary>
    public static IReadOnlyList<LoraLinear> Apply(CausalLM model, LoraConfig config, long seed = 0)
    {
        config.Validate();
        if (Adapters(model).Any())
            throw new InvalidOperationException("this model already carries adapters; load a fresh base model to add others");
        using var generator = new Generator((ulong)seed);
        var added = new List<LoraLinear>();
        foreach (var host in Hosts(model))
            foreach (var (name, baseLayer) in host.BaseLayers)
            {
                if (!config.ResolvedTargets.Contains(name)) continue;
                var adapter = new LoraLinear(baseLayer, config);
                adapter.InitializeForTraining(generator);
                host.Wrap(name, adapter);
                added.Add(adapter);
            }
        return added;
    }

    /// <summary>Every adapter in the model, layer by layer.</summary>
    public static IEnumerable<LoraLinear> Adapters(CausalLM model) =>
        Hosts(model).SelectMany(h => h.Active.Values.OfType<LoraLinear>());

    public static void MergeAll(CausalLM model)
    {
        foreach (var adapter in Adapters(model)) adapter.Merge();
    }

    public static void UnmergeAll(CausalLM model)
    {
        foreach (var adapter in Adapters(model)) adapter.Unmerge();
    }

    static IEnumerable<ProjectionHost> Hosts(CausalLM model) =>
        model.Model.Layers.SelectMany(layer => new ProjectionHost[] { layer.SelfAttention, layer.Mlp });
}
