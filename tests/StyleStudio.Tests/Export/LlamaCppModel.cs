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
    readonly LLamaContext context;

    public LlamaCppModel(string path, uint contextSize = 512)
    {
        LlamaCppRuntime.EnsureLoaded();
        var parameters = new ModelParams(path) { ContextSize = contextSize, BatchSize = contextSize, UBatchSize = contextSize, GpuLayerCount = 0, Threads = 1 };
        weights = LLamaWeights.LoadFromFile(parameters);
        context = weights.CreateContext(parameters);
    }

    public IReadOnlyDictionary<string, string> Metadata => weights.Metadata;

    /// <summary>llama.cpp's tokens for <paramref name="text"/>, special tokens parsed, no BOS added.</summary>
    public int[] Tokenize(string text) => weights.Tokenize(text, add_bos: false, special: true, Encoding.UTF8).Select(t => (int)t).ToArray();

    /// <summary><paramref name="count"/> tokens after <paramref name="prompt"/>, each the argmax of llama.cpp's logits (no stop token).</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        var result = new List<int>();
        int position = prompt.Count;
        while (true)
        {
            Decode(batch);
            int next = ArgMax(context.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
            result.Add(next);
            if (result.Count == count) return [.. result];
            batch.Clear();
            batch.Add(next, position++, LLamaSeqId.Zero, true);
        }
    }

    /// <summary>llama.cpp's logits after each prefix of <paramref name="tokens"/> ([T][vocab]), all positions in one pass.</summary>
    public float[][] TeacherForcedLogits(IReadOnlyList<int> tokens)
    {
        context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        Decode(batch);
        return Enumerable.Range(0, tokens.Count).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    void Decode(LLamaBatch batch)
    {
        var status = context.NativeHandle.Decode(batch);
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
        context.Dispose();
        weights.Dispose();
    }
}
