using StyleStudio.Training.Checkpoints;

namespace StyleStudio.Training.Models;

/// <summary>
/// What distinguishes the supported decoder architectures. They share one implementation (RMSNorm, rotary GQA attention,
/// SwiGLU) and differ only in these switches, so one table beats six near-identical model folders.
/// </summary>
/// <param name="AlwaysQkvBias">q/k/v carry biases whatever the config says (Qwen2).</param>
/// <param name="QkNorm">Per-head RMSNorm on queries and keys (Qwen3).</param>
/// <param name="SlidingWindowByDefault">config's sliding_window applies without use_sliding_window (Mistral).</param>
/// <param name="GlmLayout">GLM: the MLP's gate and up weights stored as one <c>gate_up_proj</c>, rotary on a share of each
/// head (<c>partial_rotary_factor</c>, 0.5 by default) over interleaved pairs, <c>attention_bias</c> (true by default) on
/// q/k/v only.</param>
/// <param name="SublayerOutputNorms">RMSNorm on the attention and MLP outputs before each residual add (GLM-4-0414's
/// post_self_attn_layernorm and post_mlp_layernorm).</param>
public sealed record ArchitectureFeatures(bool AlwaysQkvBias, bool QkNorm, bool SlidingWindowByDefault, bool GlmLayout = false,
    bool SublayerOutputNorms = false)
{
    static readonly Dictionary<string, ArchitectureFeatures> Known = new()
    {
        ["Qwen2ForCausalLM"] = new(AlwaysQkvBias: true, QkNorm: false, SlidingWindowByDefault: false),
        ["Qwen3ForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: true, SlidingWindowByDefault: false),
        ["LlamaForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: false, SlidingWindowByDefault: false),
        ["MistralForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: false, SlidingWindowByDefault: true),
        ["GlmForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: false, SlidingWindowByDefault: false, GlmLayout: true),
        ["Glm4ForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: false, SlidingWindowByDefault: false, GlmLayout: true, SublayerOutputNorms: true),
    };

    public static IReadOnlyCollection<string> Supported => Known.Keys;

    public static ArchitectureFeatures For(string architecture, string configPath) =>
        Known.TryGetValue(architecture, out var features) ? features
            : throw new ModelLoadException(configPath, "architectures",
                $"'{architecture}' is not supported; supported architectures: {string.Join(", ", Known.Keys)}");
}
