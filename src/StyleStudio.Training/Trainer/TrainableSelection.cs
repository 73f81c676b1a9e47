using StyleStudio.Training.Models;

namespace StyleStudio.Training.Trainer;

/// <summary>Chooses which base weights train when no adapter is used: all of them, or only the last layers.</summary>
public static class TrainableSelection
{
    /// <summary>Full fine-tuning: every parameter trains (keep the model in fp32 so AdamW updates are not lost to bf16 rounding).</summary>
    public static int All(CausalLM model) => Select(model, _ => true);

    /// <summary>
    /// Freeze tuning: only the last <paramref name="layers"/> decoder layers train (LLaMA-Factory's freeze method);
    /// embeddings, final norm and head stay frozen.
    /// </summary>
    public static int LastLayers(CausalLM model, int layers)
    {
        int total = model.Config.NumHiddenLayers;
        if (layers < 1 || layers > total)
            throw new ArgumentOutOfRangeException(nameof(layers), layers, $"choose between 1 and {total} trainable layers");
        var trainable = Enumerable.Range(total - layers, layers).Select(i => $"model.layers.{i}.").ToArray();
        return Select(model, name => trainable.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)));
    }

    static int Select(CausalLM model, Func<string, bool> trains)
    {
        int count = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool on = trains(name);
            parameter.requires_grad_(on);
            if (on) count++;
        }
        return count;
    }
}
