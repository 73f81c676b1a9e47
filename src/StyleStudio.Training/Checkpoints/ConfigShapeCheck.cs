using System.Text.RegularExpressions;
using StyleStudio.Training.Models;

namespace StyleStudio.Training.Checkpoints;

/// <summary>
/// Holds config.json to the checkpoint's own tensor shapes (read from the safetensors headers) before any tensor is
/// allocated. A config that claims a million layers or a 10⁹ hidden size would otherwise ask for terabytes and end the
/// process; checked here it fails at once, naming config.json and the field that disagrees with the weights.
/// </summary>
public static partial class ConfigShapeCheck
{
    public static void Verify(ModelConfig config, SafetensorsCheckpoint checkpoint, string configPath)
    {
        int layers = checkpoint.TensorNames.Select(LayerIndex).Where(i => i >= 0).DefaultIfEmpty(-1).Max() + 1;
        if (layers == 0)
            throw new ModelLoadException(configPath, "num_hidden_layers",
                "the checkpoint holds no decoder layers (no model.layers.N.* tensors), so its layout is not one this studio reads");
        // More layers in the file than the config names is reported tensor by tensor by the weight loader; fewer would
        // allocate layers no weights back.
        if (config.NumHiddenLayers > layers)
            throw new ModelLoadException(configPath, "num_hidden_layers",
                $"is {config.NumHiddenLayers}, but the checkpoint holds {layers} decoder layer(s) (model.layers.0 to {layers - 1})");

        Expect(checkpoint, configPath, "model.embed_tokens.weight",
            ("vocab_size", config.VocabSize), ("hidden_size", config.HiddenSize));
        Expect(checkpoint, configPath, "model.layers.0.self_attn.q_proj.weight",
            ("num_attention_heads × head_dim", (long)config.NumAttentionHeads * config.HeadDim), ("hidden_size", config.HiddenSize));
        Expect(checkpoint, configPath, "model.layers.0.self_attn.k_proj.weight",
            ("num_key_value_heads × head_dim", (long)config.NumKeyValueHeads * config.HeadDim), ("hidden_size", config.HiddenSize));
        if (config.FusedGateUp)
            Expect(checkpoint, configPath, "model.layers.0.mlp.gate_up_proj.weight",
                ("2 × intermediate_size", 2L * config.IntermediateSize), ("hidden_size", config.HiddenSize));
        else
            Expect(checkpoint, configPath, "model.layers.0.mlp.gate_proj.weight",
                ("intermediate_size", config.IntermediateSize), ("hidden_size", config.HiddenSize));
    }

    /// <summary>Each dimension of <paramref name="tensor"/> against the config fields that set it; absent tensors are
    /// left to the weight loader, which reports them by name.</summary>
    static void Expect(SafetensorsCheckpoint checkpoint, string configPath, string tensor, params (string Field, long Size)[] dimensions)
    {
        if (!checkpoint.Contains(tensor)) return;
        long[] shape = checkpoint.Entry(tensor).Shape;
        if (shape.Length != dimensions.Length)
            throw new ModelLoadException(configPath, dimensions[0].Field,
                $"the checkpoint's {tensor} has shape [{string.Join(", ", shape)}], not {dimensions.Length} dimensions");
        for (int d = 0; d < dimensions.Length; d++)
            if (shape[d] != dimensions[d].Size)
                throw new ModelLoadException(configPath, dimensions[d].Field,
                    $"gives {dimensions[d].Size}, but the checkpoint's {tensor} has shape [{string.Join(", ", shape)}]");
    }

    static int LayerIndex(string name) =>
        LayerName().Match(name) is { Success: true } match && int.TryParse(match.Groups[1].ValueSpan, out int index) ? index : -1;

    [GeneratedRegex(@"^model\.layers\.(\d+)\.")]
    private static partial Regex LayerName();
}
