using System.Text.Json.Nodes;

namespace StyleStudio.Benchmarks;

/// <summary>config.json contents of real model families, for benchmarks on random weights of the real shape.</summary>
static class ModelShapes
{
    public static readonly Dictionary<string, JsonObject> Known = new()
    {
        ["qwen2.5-0.5b"] = Qwen2(hidden: 896, intermediate: 4864, layers: 24, heads: 14, kvHeads: 2, tied: true),
        ["qwen2.5-7b"] = Qwen2(hidden: 3584, intermediate: 18944, layers: 28, heads: 28, kvHeads: 4, tied: false),
    };

    static JsonObject Qwen2(int hidden, int intermediate, int layers, int heads, int kvHeads, bool tied) => new()
    {
        ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
        ["model_type"] = "qwen2",
        ["hidden_size"] = hidden,
        ["intermediate_size"] = intermediate,
        ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = heads,
        ["num_key_value_heads"] = kvHeads,
        ["vocab_size"] = 151936,
        ["max_position_embeddings"] = 32768,
        ["rms_norm_eps"] = 1e-6,
        ["rope_theta"] = 1000000.0,
        ["tie_word_embeddings"] = tied,
        ["hidden_act"] = "silu",
        ["torch_dtype"] = "bfloat16",
        ["eos_token_id"] = 151643,
    };

    public static JsonObject Get(string name) =>
        Known.TryGetValue(name, out var shape) ? (JsonObject)shape.DeepClone()
            : throw new ArgumentException($"unknown shape '{name}'; known: {string.Join(", ", Known.Keys)}");
}
