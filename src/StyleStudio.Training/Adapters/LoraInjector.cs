using StyleStudio.Training.Models;
using StyleStudio.Training.Models.Layers;
using static TorchSharp.torch;

namespace StyleStudio.Training.Adapters;

/// <summary>An adapter and the place it wraps: projection <paramref name="Projection"/> of <paramref name="Host"/>.</summary>
public sealed record AdapterAttachment(ProjectionHost Host, string Projection, LoraLinear Adapter);

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
    public static IEnumerable<LoraLinear> Adapters(CausalLM model) => Attachments(model).Select(a => a.Adapter);

    /// <summary>Where each adapter of the model sits: its host module and projection name.</summary>
    public static IReadOnlyList<AdapterAttachment> Attachments(CausalLM model) =>
        Hosts(model).SelectMany(h => h.Active.Where(a => a.Value is LoraLinear)
            .Select(a => new AdapterAttachment(h, a.Key, (LoraLinear)a.Value))).ToList();

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
