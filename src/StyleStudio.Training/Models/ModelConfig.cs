using System.Text.Json;
using StyleStudio.Training.Checkpoints;

namespace StyleStudio.Training.Models;

/// <summary>
/// The parts of a Hugging Face <c>config.json</c> that decoder LLMs need. Field names follow the file; both the
/// transformers 4 layout (<c>rope_theta</c>, <c>rope_scaling</c>, <c>torch_dtype</c>) and the 5 layout
/// (<c>rope_parameters</c>, <c>dtype</c>) are read.
/// </summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadDim { get; init; }
    public required double RmsNormEps { get; init; }
    public required RopeScaling Rope { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q/k/v projections (always for Qwen2, <c>attention_bias</c> for the others).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on the output projection (Llama's <c>attention_bias</c> covers o_proj too).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    /// <summary>Per-head RMSNorm on queries and keys (Qwen3).</summary>
    public bool QkNorm { get; init; }
    /// <summary>Channels of each head that rotary embedding turns (the first ones); the rest pass unrotated. The head
    /// dimension except for GLM, whose <c>partial_rotary_factor</c> (0.5 by default) takes a share.</summary>
    public int RotaryDim { get; init; }
    /// <summary>Rotary pairs are adjacent channels (2i, 2i+1), as GLM lays them out, instead of the two halves (i, i + D/2).</summary>
    public bool RotaryInterleaved { get; init; }
    /// <summary>The MLP's gate and up projections are one stored weight, <c>gate_up_proj</c> (GLM).</summary>
    public bool FusedGateUp { get; init; }
    /// <summary>RMSNorm on each sublayer's output before the residual add (GLM-4-0414).</summary>
    public bool SublayerOutputNorms { get; init; }
    /// <summary>Keys further back than this many positions are invisible (Mistral); null for full attention.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>The dtype the checkpoint was saved in (<c>torch_dtype</c>/<c>dtype</c>), e.g. bfloat16.</summary>
    public string? SavedDType { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? BosTokenId { get; init; }
    public int? PadTokenId { get; init; }

    public int KeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>The dtype to write this model's weights in when saving: the checkpoint's own (fp32 when unknown).</summary>
    public TorchSharp.torch.ScalarType SavedScalarType => SavedDType switch
    {
        "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
        "float16" => TorchSharp.torch.ScalarType.Float16,
        _ => TorchSharp.torch.ScalarType.Float32,
    };

    public static ModelConfig Load(string folder)
    {
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path))
            throw new ModelLoadException(path, null, "not found: a Hugging Face model folder needs config.json");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Parse(path, document.RootElement);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, null, $"not valid JSON ({e.Message})");
        }
    }

    public static ModelConfig Parse(string path, JsonElement root)
    {
        var fields = new ConfigFields(path, root);
        string architecture = fields.Architecture();
        var features = ArchitectureFeatures.For(architecture, path);

        int hidden = fields.PositiveInt("hidden_size");
        int heads = fields.PositiveInt("num_attention_heads");
        int kvHeads = fields.OptionalPositiveInt("num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
            throw new ModelLoadException(path, "num_key_value_heads", $"{kvHeads} does not divide num_attention_heads {heads}");
        int headDim = fields.OptionalPositiveInt("head_dim") ?? (hidden % heads == 0 ? hidden / heads
            : throw new ModelLoadException(path, "hidden_size", $"{hidden} is not a multiple of num_attention_heads {heads}; set head_dim"));
        if (headDim % 2 != 0)
            throw new ModelLoadException(path, "head_dim", $"{headDim} must be even for rotary embeddings");
        string activation = fields.OptionalString("hidden_act") ?? "silu";
        if (activation is not ("silu" or "swish"))
            throw new ModelLoadException(path, "hidden_act", $"'{activation}' is not supported (these architectures use silu)");

        bool attentionBias = fields.OptionalBool("attention_bias") ?? features.GlmLayout;
        int rotaryDim = headDim;
        if (features.GlmLayout)
        {
            double factor = fields.PartialRotaryFactor() ?? 0.5;
            rotaryDim = (int)(headDim * factor);
            if (factor is <= 0 or > 1 || rotaryDim % 2 != 0)
                throw new ModelLoadException(path, "partial_rotary_factor", $"{factor} of head_dim {headDim} must give an even number of rotary channels");
        }
        bool slidingEnabled = features.SlidingWindowByDefault || (fields.OptionalBool("use_sliding_window") ?? false);
        return new ModelConfig
        {
            Architecture = architecture,
            VocabSize = fields.PositiveInt("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = fields.PositiveInt("intermediate_size"),
            NumHiddenLayers = fields.PositiveInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = fields.OptionalDouble("rms_norm_eps") ?? 1e-6,
            Rope = fields.Rope(),
            MaxPositionEmbeddings = fields.OptionalPositiveInt("max_position_embeddings") ?? 4096,
            TieWordEmbeddings = fields.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias = features.AlwaysQkvBias || attentionBias,
            OutputBias = !features.AlwaysQkvBias && !features.GlmLayout && attentionBias,
            RotaryDim = rotaryDim,
            RotaryInterleaved = features.GlmLayout,
            FusedGateUp = features.GlmLayout,
            SublayerOutputNorms = features.SublayerOutputNorms,
            MlpBias = fields.OptionalBool("mlp_bias") ?? false,
            QkNorm = features.QkNorm,
            SlidingWindow = slidingEnabled ? fields.OptionalPositiveInt("sliding_window") : null,
            SavedDType = fields.OptionalString("dtype") ?? fields.OptionalString("torch_dtype"),
            EosTokenIds = fields.TokenIds("eos_token_id"),
            BosTokenId = fields.TokenIds("bos_token_id") is [var bos, ..] ? bos : null,
            PadTokenId = fields.TokenIds("pad_token_id") is [var pad, ..] ? pad : null,
        };
    }

    /// <summary>Typed reads of config.json fields; each failure names the field.</summary>
    sealed class ConfigFields(string path, JsonElement root)
    {
        public string Architecture()
        {
            if (root.TryGetProperty("architectures", out var list) && list.ValueKind == JsonValueKind.Array
                && list.GetArrayLength() > 0 && list[0].ValueKind == JsonValueKind.String)
                return list[0].GetString()!;
            throw new ModelLoadException(path, "architectures", "missing; expected e.g. [\"Qwen2ForCausalLM\"]");
        }

        public int PositiveInt(string name) =>
            OptionalPositiveInt(name) ?? throw new ModelLoadException(path, name, "missing");

        public int? OptionalPositiveInt(string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int number) || number <= 0)
                throw new ModelLoadException(path, name, $"must be a positive integer, got {value.GetRawText()}");
            return number;
        }

        public double? OptionalDouble(string name, JsonElement? within = null)
        {
            var source = within ?? root;
            if (!source.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.Number)
                throw new ModelLoadException(path, name, $"must be a number, got {value.GetRawText()}");
            return value.GetDouble();
        }

        public bool? OptionalBool(string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ModelLoadException(path, name, $"must be true or false, got {value.GetRawText()}"),
            };
        }

        public string? OptionalString(string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public IReadOnlyList<int> TokenIds(string name)
        {
            if (!root.TryGetProperty(name, out var value)) return [];
            return value.ValueKind switch
            {
                JsonValueKind.Null => [],
                JsonValueKind.Number => [value.GetInt32()],
                JsonValueKind.Array => value.EnumerateArray().Select(v => v.GetInt32()).ToArray(),
                _ => throw new ModelLoadException(path, name, $"must be a token id or a list of ids, got {value.GetRawText()}"),
            };
        }

        /// <summary><c>partial_rotary_factor</c>: at the top level (transformers 4) or inside <c>rope_parameters</c> (5).</summary>
        public double? PartialRotaryFactor() =>
            OptionalDouble("partial_rotary_factor")
            ?? (root.TryGetProperty("rope_parameters", out var rope) && rope.ValueKind == JsonValueKind.Object
                ? OptionalDouble("partial_rotary_factor", rope) : null);

        /// <summary>transformers 5 writes <c>rope_parameters</c> (theta inside); 4 writes <c>rope_theta</c> + <c>rope_scaling</c>.</summary>
        public RopeScaling Rope()
        {
            JsonElement? scaling = null;
            string field = "rope_scaling";
            foreach (var name in new[] { "rope_parameters", "rope_scaling" })
                if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object)
                {
                    scaling = value;
                    field = name;
                    break;
                }
            double theta = OptionalDouble("rope_theta") ?? (scaling is { } s ? OptionalDouble("rope_theta", s) : null) ?? 10000.0;
            if (scaling is not { } rope) return new RopeScaling(theta);

            string type = rope.TryGetProperty("rope_type", out var t) || rope.TryGetProperty("type", out t) ? t.GetString() ?? "default" : "default";
            if (!RopeScaling.SupportedTypes.Contains(type))
                throw new ModelLoadException(path, field,
                    $"rope type '{type}' is not supported (supported: {string.Join(", ", RopeScaling.SupportedTypes)})");
            var defaults = new RopeScaling(theta);
            return defaults with
            {
                Type = type,
                Factor = OptionalDouble("factor", rope) ?? defaults.Factor,
                LowFreqFactor = OptionalDouble("low_freq_factor", rope) ?? defaults.LowFreqFactor,
                HighFreqFactor = OptionalDouble("high_freq_factor", rope) ?? defaults.HighFreqFactor,
                OriginalMaxPositions = (int)(OptionalDouble("original_max_position_embeddings", rope) ?? defaults.OriginalMaxPositions),
            };
        }
    }
}
