using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// Everything one GGUF file holds for a Hugging Face model folder: metadata (general, hyperparameters, tokenizer) and the
/// tensors, each converted to its GGUF type only when the writer asks for its bytes. Holds the checkpoint open until disposed.
/// </summary>
public sealed class GgufModelContents : IDisposable
{
    /// <summary>Elements converted and written per piece; bounds the extra memory of one tensor's conversion.</summary>
    const long ChunkElements = 16L * 1024 * 1024;

    readonly SafetensorsCheckpoint checkpoint;

    public ModelConfig Config { get; }
    public GgufArchitecture Architecture { get; }
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }
    public IReadOnlyList<GgufTensor> Tensors { get; }

    GgufModelContents(SafetensorsCheckpoint checkpoint, ModelConfig config, GgufArchitecture architecture,
        IReadOnlyList<KeyValuePair<string, GgufValue>> metadata, IReadOnlyList<GgufTensor> tensors)
    {
        this.checkpoint = checkpoint;
        Config = config;
        Architecture = architecture;
        Metadata = metadata;
        Tensors = tensors;
    }

    /// <param name="weightsFolder">Config and safetensors (a merged checkpoint, or the base itself).</param>
    /// <param name="tokenizerFolder">tokenizer.json, tokenizer_config.json (and chat_template.jinja): the base's.</param>
    /// <param name="name">general.name, e.g. the model folder's name.</param>
    public static GgufModelContents Open(string weightsFolder, string tokenizerFolder, GgmlType type, string name)
    {
        string configPath = Path.Combine(weightsFolder, "config.json");
        var config = ModelConfig.Load(weightsFolder);
        var architecture = GgufArchitecture.For(config, configPath);
        var vocabulary = GgufVocabulary.Load(tokenizerFolder, config.VocabSize, architecture.Name);
        var checkpoint = SafetensorsCheckpoint.Open(weightsFolder);
        try
        {
            ConfigShapeCheck.Verify(config, checkpoint, configPath);
            var tensors = architecture.Tensors(config, checkpoint)
                .Select(source => new GgufTensor(source.Name, source.Shape, source.TypeFor(type), stream => WriteConverted(source, source.TypeFor(type), stream)))
                .ToList();
            List<KeyValuePair<string, GgufValue>> metadata =
            [
                new("general.architecture", GgufValue.String(architecture.Name)),
                new("general.type", GgufValue.String("model")),
                new("general.name", GgufValue.String(name)),
                .. architecture.Hyperparameters(config, configPath),
                new("general.file_type", GgufValue.UInt32(type.FileType())),
                new("general.quantization_version", GgufValue.UInt32(2)), // ggml's GGML_QNT_VERSION, which the converter writes
                .. vocabulary.Metadata(),
            ];
            return new GgufModelContents(checkpoint, config, architecture, metadata, tensors);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The first 2-D weight whose rows do not split into blocks of <paramref name="multiple"/> values, if any.</summary>
    public GgufTensor? FirstRowNotMultipleOf(int multiple) =>
        Tensors.FirstOrDefault(t => t.Shape.Length >= 2 && t.Type != GgmlType.F32 && t.Shape[^1] % multiple != 0);

    static void WriteConverted(GgufSourceTensor source, GgmlType type, Stream stream)
    {
        using var scope = NewDisposeScope();
        var values = source.Load();
        if (!values.shape.SequenceEqual(source.Shape))
            throw new InvalidOperationException($"GGUF export: {source.Name} came out as [{string.Join(", ", values.shape)}], expected [{string.Join(", ", source.Shape)}]");
        var flat = values.to(type switch
        {
            GgmlType.F16 => ScalarType.Float16,
            GgmlType.BF16 => ScalarType.BFloat16,
            _ => ScalarType.Float32,
        }).contiguous().view(-1);
        // Tensor memory is exposed as Span<byte>, so large tensors go out in pieces (spans stop at 2 GiB).
        for (long first = 0; first < flat.numel(); first += ChunkElements)
        {
            using var piece = flat.narrow(0, first, Math.Min(ChunkElements, flat.numel() - first));
            stream.Write(piece.bytes);
        }
    }

    public void Dispose() => checkpoint.Dispose();
}
