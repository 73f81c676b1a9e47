using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using StyleStudio.Training.Export.Gguf;

namespace StyleStudio.Tests.Export;

/// <summary>
/// A GGUF file loaded by llama.cpp itself (LLamaSharp's prebuilt CPU build): its tokenizer, greedy decoding by argmax
/// over llama.cpp's logits, and the argmax at every position of a sequence fed at once (teacher forcing).
/// </summary>
sealed class LlamaCppModel : IDisposable
{
    readonly LLamaWeights weights;
    readonly LLamaContext? context;

    /// <param name="vocabularyOnly">Load the tokenizer alone (a GGUF may then carry no tensors); only Tokenize works.</param>
    public LlamaCppModel(string path, uint contextSize = 512, bool vocabularyOnly = false)
    {
        LlamaCppRuntime.EnsureLoaded();
        var parameters = new ModelParams(path)
        {
            ContextSize = contextSize, BatchSize = contextSize, UBatchSize = contextSize, GpuLayerCount = 0, Threads = 1, VocabOnly = vocabularyOnly,
        };
        weights = LLamaWeights.LoadFromFile(parameters);
        context = vocabularyOnly ? null : weights.CreateContext(parameters);
    }

    LLamaContext Context => context ?? throw new InvalidOperationException("loaded for its vocabulary only");

    public IReadOnlyDictionary<string, string> Metadata => weights.Metadata;

    /// <summary>The special tokens llama.cpp took from the file (or detected, as it does end-of-turn tokens), and whether it adds BOS.</summary>
    public (int? Bos, int? Eos, int? Eot, int? Pad, bool AddsBos) Specials
    {
        get
        {
            var vocabulary = weights.Vocab;
            return ((int?)vocabulary.BOS, (int?)vocabulary.EOS, (int?)vocabulary.EOT, (int?)vocabulary.Pad, vocabulary.ShouldAddBOS);
        }
    }

    /// <summary>llama.cpp's tokens for <paramref name="text"/>, special tokens parsed, no BOS added.</summary>
    public int[] Tokenize(string text) => weights.Tokenize(text, add_bos: false, special: true, Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary><paramref name="count"/> tokens after <paramref name="prompt"/>, each the argmax of llama.cpp's logits (no stop token).</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        Context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        var result = new List<int>();
        int position = prompt.Count;
        while (true)
        {
            Decode(batch);
            int next = ArgMax(Context.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
            result.Add(next);
            if (result.Count == count) return [.. result];
            batch.Clear();
            batch.Add(next, position++, LLamaSeqId.Zero, true);
        }
    }

    /// <summary>llama.cpp's logits after each prefix of <paramref name="tokens"/> ([T][vocab]), all positions in one pass.</summary>
    public float[][] TeacherForcedLogits(IReadOnlyList<int> tokens)
    {
        Context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        Decode(batch);
        return Enumerable.Range(0, tokens.Count).Select(i => Context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    void Decode(LLamaBatch batch)
    {
        var status = Context.NativeHandle.Decode(batch);
        if (status != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {status}");
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        context?.Dispose();
        weights.Dispose();
    }
}
