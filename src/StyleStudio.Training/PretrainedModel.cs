using System.Text.Json;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using StyleStudio.Training.Quantization;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Tokenization;
using static TorchSharp.torch;

namespace StyleStudio.Training;

/// <summary>How to load a model.</summary>
/// <param name="Device">Where to run; Auto takes CUDA when present.</param>
/// <param name="DType">Compute dtype; null means bf16 on CUDA and fp32 on CPU.</param>
/// <param name="Quantize4Bit">Store the decoder's linear projections in NF4 (QLoRA's frozen base); embeddings, norms
/// and lm_head keep <paramref name="DType"/>.</param>
public sealed record ModelLoadOptions(DevicePreference Device = DevicePreference.Auto, ScalarType? DType = null,
    bool Quantize4Bit = false)
{
    /// <summary>Which GPU, by index, when <see cref="Device"/> is CUDA; null takes the current one (the first).</summary>
    public int? GpuIndex { get; init; }

    /// <summary>Options from a dtype name as users write it: auto, float32, bfloat16 or float16.</summary>
    public static ModelLoadOptions Named(DevicePreference device, string dtype, bool quantize4Bit = false) => new(device, dtype switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        "auto" => null,
        _ => throw new ArgumentException($"dtype '{dtype}' is not one of auto, float32, bfloat16, float16"),
    }, quantize4Bit);
}

/// <summary>
/// A Hugging Face model folder loaded for use: config, network with its weights, tokenizer (when the folder has one) and
/// the device it runs on. The CLI, the studio and the API all start here.
/// </summary>
public sealed class PretrainedModel : IDisposable
{
    public required string Folder { get; init; }
    public required ModelConfig Config { get; init; }
    public required CausalLM Network { get; init; }
    public required TextTokenizer? Tokenizer { get; init; }
    public required ComputeDevice Device { get; init; }
    public required LoadReport Report { get; init; }
    /// <summary>Ids that end generation: from config.json, generation_config.json and the tokenizer config together.</summary>
    public required IReadOnlyList<int> EosTokenIds { get; init; }

    public long ParameterCount => Network.parameters().Sum(p => p.numel());

    public TextTokenizer RequireTokenizer() =>
        Tokenizer ?? throw new ModelLoadException(Folder, "tokenizer.json", "this model folder has no tokenizer; pass token ids or add tokenizer.json");

    public static PretrainedModel Load(string folder, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        if (!Directory.Exists(folder))
            throw new ModelLoadException(folder, null, "model folder not found");
        var config = ModelConfig.Load(folder);
        var device = ComputeDevice.Select(options.Device, options.GpuIndex);
        var dtype = options.DType ?? (device.IsCuda ? ScalarType.BFloat16 : ScalarType.Float32);
        var tokenizer = File.Exists(Path.Combine(folder, "tokenizer.json")) ? TextTokenizer.Load(folder) : null;

        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        ConfigShapeCheck.Verify(config, checkpoint, Path.Combine(folder, "config.json"));
        // Quantized projections are read into CPU staging and quantized layer by layer (see LayerwiseQuantizer).
        var network = new CausalLM(config, dtype, device.Device, options.Quantize4Bit ? CPU : null);
        try
        {
            var quantizer = options.Quantize4Bit ? new LayerwiseQuantizer(network) : null;
            var report = WeightLoader.Load(network, checkpoint, name => IsRegenerated(name, config), folder, quantizer is null ? null : quantizer.Loaded);
            return new PretrainedModel
            {
                Folder = folder,
                Config = config,
                Network = network,
                Tokenizer = tokenizer,
                Device = device,
                Report = report,
                EosTokenIds = config.EosTokenIds.Concat(GenerationConfigEos(folder)).Concat(tokenizer?.EosTokenIds ?? []).Distinct().ToArray(),
            };
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Tensors some checkpoints carry that transformers recomputes or ties instead of loading.</summary>
    static bool IsRegenerated(string name, ModelConfig config) =>
        name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
        || (config.TieWordEmbeddings && name == "lm_head.weight");

    static IEnumerable<int> GenerationConfigEos(string folder)
    {
        string path = Path.Combine(folder, "generation_config.json");
        if (!File.Exists(path)) return [];
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty("eos_token_id", out var eos)) return [];
            return eos.ValueKind switch
            {
                JsonValueKind.Number => [eos.GetInt32()],
                JsonValueKind.Array => eos.EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                _ => [],
            };
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, null, $"not valid JSON ({e.Message})");
        }
    }

    public void Dispose() => Network.Dispose();
}
