using System.Collections.Concurrent;
using StyleStudio.Training.Models;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Models.Local;

/// <summary>
/// Reads what a model folder is — architecture, parameter count, dtype, context length, template — from config.json and
/// the safetensors headers, without loading a weight, and checks that it would load: config, tokenizer and every weights
/// header. Results are kept until a file in the folder changes (a real tokenizer takes a second to parse).
/// </summary>
public static class ModelInspector
{
    static readonly ConcurrentDictionary<string, (string Stamp, ModelDetails? Details, string? Error)> Cache = new();

    public static LocalModel Inspect(string name, string path, ModelOrigin origin)
    {
        if (!Directory.Exists(path)) return new(name, path, origin, 0, null, $"{path}: folder not found");
        var files = new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).ToList();
        long bytes = files.Sum(f => f.Length);
        string stamp = $"{files.Count}:{bytes}:{(files.Count == 0 ? 0 : files.Max(f => f.LastWriteTimeUtc.Ticks))}";
        var (_, details, error) = Cache.AddOrUpdate(path, _ => Read(path, stamp),
            (_, cached) => cached.Stamp == stamp ? cached : Read(path, stamp));
        return new(name, path, origin, bytes, details, error);
    }

    static (string, ModelDetails?, string?) Read(string path, string stamp)
    {
        try
        {
            return (stamp, Details(path), null);
        }
        catch (Exception e) when (e is ModelLoadException or TokenizerLoadException or IOException or UnauthorizedAccessException)
        {
            return (stamp, null, e.Message);
        }
    }

    static ModelDetails Details(string path)
    {
        var config = ModelConfig.Load(path);
        TextTokenizer.Load(path);
        using var weights = SafetensorsCheckpoint.Open(path);
        var entries = weights.TensorNames.Select(weights.Entry).ToList();
        long parameters = entries.Sum(e => e.ElementCount);
        string dtype = entries.GroupBy(e => e.DType).OrderByDescending(g => g.Sum(e => e.ByteLength)).Select(g => DTypeName(g.Key)).FirstOrDefault()
            ?? config.SavedDType ?? "unknown";
        return new(config.Architecture, parameters, dtype, config.MaxPositionEmbeddings, SuggestTemplate(config));
    }

    /// <summary>The template of <see cref="StyleStudio.Training.Templates.PromptTemplates"/> matching the model's chat format.</summary>
    public static string SuggestTemplate(ModelConfig config) => config.Architecture switch
    {
        "Qwen2ForCausalLM" => "qwen",
        "Qwen3ForCausalLM" => "qwen3",
        "LlamaForCausalLM" => "llama3",
        "MistralForCausalLM" => "mistral",
        "GlmForCausalLM" or "Glm4ForCausalLM" => "glm4",
        _ => "default",
    };

    static string DTypeName(TorchSharp.torch.ScalarType type) => type switch
    {
        TorchSharp.torch.ScalarType.BFloat16 => "bfloat16",
        TorchSharp.torch.ScalarType.Float16 => "float16",
        TorchSharp.torch.ScalarType.Float32 => "float32",
        _ => type.ToString().ToLowerInvariant(),
    };
}
