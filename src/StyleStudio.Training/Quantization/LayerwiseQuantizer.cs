using StyleStudio.Training.Models;

namespace StyleStudio.Training.Quantization;

/// <summary>
/// Quantizes each decoder layer to NF4 the moment its last weight is loaded, so the dense projection weights (staged
/// on the CPU) are held one layer at a time rather than all together, and the device only ever receives 4-bit weights.
/// </summary>
public sealed class LayerwiseQuantizer
{
    readonly CausalLM model;
    readonly Dictionary<string, int> layerOf = [];
    readonly int[] remaining;

    public LayerwiseQuantizer(CausalLM model)
    {
        this.model = model;
        remaining = new int[model.Model.Layers.Count];
        for (int i = 0; i < remaining.Length; i++)
            foreach (var (name, _) in model.Model.Layers[i].named_parameters())
            {
                layerOf[$"model.layers.{i}.{name}"] = i;
                remaining[i]++;
            }
    }

    /// <summary>Call after each parameter of the model has been filled.</summary>
    public void Loaded(string parameterName)
    {
        if (layerOf.TryGetValue(parameterName, out int layer) && --remaining[layer] == 0)
            model.Model.Layers[layer].QuantizeProjections(model.Device);
    }
}
