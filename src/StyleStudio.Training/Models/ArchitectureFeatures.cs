using StyleStudio.Training.Checkpoints;

namespace StyleStudio.Training.Models;

/// <summary>
/// What distinguishes the supported decoder architectures. They share one implementation (RMSNorm, rotary GQA attention,
/// SwiGLU) and differ only in these switches, so one table beats four near-identical model folders.
/// </summary>
public sealed record ArchitectureFeatures(bool AlwaysQkvBias, bool QkNorm, bool SlidingWindowByDefault)
{
    static readonly Dictionary<string, ArchitectureFeatures> Known = new()
    {
        ["Qwen2ForCausalLM"] = new(AlwaysQkvBias: true, QkNorm: false, SlidingWindowByDefault: false),
        ["Qwen3ForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: true, SlidingWindowByDefault: false),
        ["LlamaForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: false, SlidingWindowByDefault: false),
        ["MistralForCausalLM"] = new(AlwaysQkvBias: false, QkNorm: false, SlidingWindowByDefault: true),
    };

    public static IReadOnlyCollection<string> Supported => Known.Keys;

    public static ArchitectureFeatures For(string architecture, string configPath) =>
        Known.TryGetValue(architecture, out var features) ? features
            : throw new ModelLoadException(configPath, "architectures",
                $"'{architecture}' is not supported; supported architectures: {string.Join(", ", Known.Keys)}");
}
