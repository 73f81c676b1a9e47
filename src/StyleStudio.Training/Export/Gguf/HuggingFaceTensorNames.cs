using System.Text.RegularExpressions;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// Hugging Face checkpoint names → llama.cpp tensor names (llama.cpp's gguf-py tensor_mapping.py and llama-arch.cpp) for
/// the decoder layouts we export. Per-layer names keep their suffix (.weight/.bias); llama.cpp numbers blocks like HF.
/// </summary>
public static partial class HuggingFaceTensorNames
{
    static readonly Dictionary<string, string> Global = new()
    {
        ["model.embed_tokens"] = "token_embd",
        ["model.norm"] = "output_norm",
        ["lm_head"] = "output",
    };

    static readonly Dictionary<string, string> PerLayer = new()
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["self_attn.q_norm"] = "attn_q_norm",
        ["self_attn.k_norm"] = "attn_k_norm",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
        // GLM-4: gate and up fused in one matrix (llama.cpp splits it at run time), and two extra norms per block.
        ["mlp.gate_up_proj"] = "ffn_up",
        ["post_self_attn_layernorm"] = "post_attention_norm",
        ["post_mlp_layernorm"] = "post_ffw_norm",
    };

    [GeneratedRegex(@"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")]
    private static partial Regex LayerTensor();

    [GeneratedRegex(@"^(.+)\.(weight|bias)$")]
    private static partial Regex GlobalTensor();

    /// <summary>llama.cpp's name for <paramref name="name"/>, or null when it has none.</summary>
    public static string? ToGguf(string name)
    {
        if (LayerTensor().Match(name) is { Success: true } layer)
            return PerLayer.TryGetValue(layer.Groups[2].Value, out var module) ? $"blk.{layer.Groups[1].Value}.{module}.{layer.Groups[3].Value}" : null;
        if (GlobalTensor().Match(name) is { Success: true } global)
            return Global.TryGetValue(global.Groups[1].Value, out var module) ? $"{module}.{global.Groups[2].Value}" : null;
        return null;
    }
}
