using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// How one Hugging Face architecture becomes a llama.cpp model: the llama.cpp architecture name, the hyperparameter keys
/// its loader reads, and the tensors under llama.cpp's names and layouts — what llama.cpp's convert_hf_to_gguf.py writes
/// for the same checkpoint.
/// </summary>
/// <param name="Name">llama.cpp's architecture (<c>general.architecture</c>, and the prefix of its keys).</param>
/// <param name="PermuteQueryKeyRows">llama.cpp's "llama" graph rotates adjacent pairs, HF Llama rotates halves: the
/// converter reorders q/k rows so both compute the same thing. Qwen's graphs rotate halves (NEOX) and need no change.</param>
/// <param name="WritesRopeDimensions">Llama and GLM write <c>rope.dimension_count</c> (GLM rotates only part of each head)
/// and <c>vocab_size</c>; Qwen leaves them to the defaults.</param>
public sealed record GgufArchitecture(string Name, bool PermuteQueryKeyRows, bool WritesRopeDimensions)
{
    public static GgufArchitecture For(ModelConfig config, string configPath) => config.Architecture switch
    {
        "Qwen2ForCausalLM" => new("qwen2", PermuteQueryKeyRows: false, WritesRopeDimensions: false),
        "Qwen3ForCausalLM" => new("qwen3", PermuteQueryKeyRows: false, WritesRopeDimensions: false),
        // The converter exports Mistral as "llama" too; llama.cpp's llama graph has no sliding window (see Caveats).
        "LlamaForCausalLM" or "MistralForCausalLM" => new("llama", PermuteQueryKeyRows: true, WritesRopeDimensions: true),
        // GLM rotates adjacent channel pairs, as llama.cpp's graphs for both do: no reordering.
        "Glm4ForCausalLM" => new("glm4", PermuteQueryKeyRows: false, WritesRopeDimensions: true),
        "GlmForCausalLM" => ChatGlm(config, configPath),
        _ => throw new ModelLoadException(configPath, "architectures",
            $"'{config.Architecture}' cannot be exported to GGUF (supported: Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM, "
            + "MistralForCausalLM, Glm4ForCausalLM, GlmForCausalLM)"),
    };

    /// <summary>
    /// The converter exports transformers' GlmForCausalLM (glm-4-9b-chat-hf) as llama.cpp's "chatglm", whose graph sizes
    /// the attention output by hidden_size: heads × head_dim must equal it (true of the released GLM-4 models).
    /// </summary>
    static GgufArchitecture ChatGlm(ModelConfig config, string configPath) =>
        config.NumAttentionHeads * config.HeadDim == config.HiddenSize
            ? new("chatglm", PermuteQueryKeyRows: false, WritesRopeDimensions: true)
            : throw new ModelLoadException(configPath, "head_dim",
                $"{config.NumAttentionHeads} heads × head_dim {config.HeadDim} ≠ hidden_size {config.HiddenSize}: llama.cpp's chatglm "
                + "architecture (where GlmForCausalLM goes) sizes attention by hidden_size and cannot load this model");

    /// <summary>Differences between our model and what llama.cpp will run, for the user to read.</summary>
    public IReadOnlyList<string> Caveats(ModelConfig config) => config.SlidingWindow is { } window
        ? [$"the model uses sliding-window attention over {window} tokens, which llama.cpp's {Name} architecture does not have: "
           + $"llama.cpp attends to the whole context, so outputs agree only while prompt and answer stay within {window} tokens"]
        : [];

    public IEnumerable<KeyValuePair<string, GgufValue>> Hyperparameters(ModelConfig config, string configPath)
    {
        KeyValuePair<string, GgufValue> Key(string key, GgufValue value) => new($"{Name}.{key}", value);
        if (WritesRopeDimensions) yield return Key("vocab_size", GgufValue.UInt32(config.VocabSize));
        yield return Key("context_length", GgufValue.UInt32(config.MaxPositionEmbeddings));
        yield return Key("embedding_length", GgufValue.UInt32(config.HiddenSize));
        yield return Key("block_count", GgufValue.UInt32(config.NumHiddenLayers));
        yield return Key("feed_forward_length", GgufValue.UInt32(config.IntermediateSize));
        yield return Key("attention.head_count", GgufValue.UInt32(config.NumAttentionHeads));
        yield return Key("attention.head_count_kv", GgufValue.UInt32(config.NumKeyValueHeads));
        yield return Key("rope.freq_base", GgufValue.Float32(config.Rope.Theta));
        yield return Key("attention.layer_norm_rms_epsilon", GgufValue.Float32(config.RmsNormEps));
        // Always written (the converter writes them when config.json has head_dim): Qwen3 and Mistral heads are not hidden/heads wide.
        yield return Key("attention.key_length", GgufValue.UInt32(config.HeadDim));
        yield return Key("attention.value_length", GgufValue.UInt32(config.HeadDim));
        if (WritesRopeDimensions) yield return Key("rope.dimension_count", GgufValue.UInt32(config.RotaryDim));
        switch (config.Rope.Type)
        {
            case "linear":
                yield return Key("rope.scaling.type", GgufValue.String("linear"));
                yield return Key("rope.scaling.factor", GgufValue.Float32(config.Rope.Factor));
                break;
            case "llama3" when Name != "llama":
                throw new ModelLoadException(configPath, "rope_scaling",
                    $"llama3 rope scaling on a {config.Architecture}: llama.cpp's {Name} architecture has no rope_freqs tensor to carry it");
        }
    }

    /// <summary>Every checkpoint tensor under its llama.cpp name (unknown names are refused), plus computed extras.</summary>
    public IReadOnlyList<GgufSourceTensor> Tensors(ModelConfig config, SafetensorsCheckpoint checkpoint)
    {
        var result = new List<GgufSourceTensor>();
        foreach (string name in checkpoint.TensorNames.Order(StringComparer.Ordinal))
        {
            if (name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)) continue; // recomputed by llama.cpp
            if (name == "lm_head.weight" && config.TieWordEmbeddings) continue;             // llama.cpp reuses token_embd
            string ggufName = HuggingFaceTensorNames.ToGguf(name)
                ?? throw new ModelLoadException(checkpoint.FileOf(name), name, $"has no counterpart in llama.cpp's {Name} architecture");
            var entry = checkpoint.Entry(name);
            int? permuteHeads = !PermuteQueryKeyRows ? null
                : name.Contains(".self_attn.q_proj.", StringComparison.Ordinal) ? config.NumAttentionHeads
                : name.Contains(".self_attn.k_proj.", StringComparison.Ordinal) ? config.NumKeyValueHeads
                : null;
            result.Add(new GgufSourceTensor(ggufName, entry.Shape, () =>
            {
                var tensor = empty(entry.Shape, ScalarType.Float32);
                checkpoint.ReadInto(name, tensor);
                return permuteHeads is { } heads ? PairwiseRotaryRows(tensor, heads) : tensor;
            }));
        }
        if (!config.TieWordEmbeddings && !checkpoint.Contains("lm_head.weight"))
            throw new ModelLoadException(checkpoint.FileOf("model.embed_tokens.weight"), "lm_head.weight",
                "missing, and config.json does not tie it to the embeddings (tie_word_embeddings)");
        if (config.Rope.Type == "llama3")
        {
            var factors = RopeFrequencyFactors.Llama3(config.Rope, config.HeadDim);
            result.Add(new GgufSourceTensor("rope_freqs.weight", [factors.Length], () => tensor(factors)));
        }
        return result;
    }

    /// <summary>
    /// Reorders each head's rows from HF's [first halves, second halves] to llama.cpp's interleaved pairs: row r of the
    /// half h moves to 2r + h (the converter's <c>permute</c>). Works for weights [rows, in] and biases [rows].
    /// </summary>
    static Tensor PairwiseRotaryRows(Tensor rows, int heads)
    {
        long[] shape = rows.shape;
        long[] split = [heads, 2, shape[0] / heads / 2, .. shape[1..]];
        using var reshaped = rows.reshape(split);
        var result = reshaped.transpose(1, 2).reshape(shape).contiguous();
        rows.Dispose();
        return result;
    }
}
