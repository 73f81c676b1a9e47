using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Export;

/// <summary>
/// Tiny fixtures exported through the real CLI and run by llama.cpp itself: its tokenization of sample texts and its greedy
/// continuation must equal our engine's (fp32 on the original checkpoint).
/// </summary>
public sealed class GgufExportParityTests : IDisposable
{
    /// <summary>English, Chinese, digits, whitespace runs, special tokens, mixed.</summary>
    public static readonly string[] Samples =
    [
        "The quick brown fox jumps over the lazy dog. It's 9 o'clock, isn't it?",
        "今天天气很好，我们一起去公园散步吧。春眠不觉晓，处处闻啼鸟。",
        "Call 1234567890 or 3.14159; 2026-12-01 at 00:30, ¥12,345.",
        "a  b\t\tc\n\n\n   d    e \r\n f",
        "<|im_start|>user\nRewrite this politely.<|im_end|>\n<|im_start|>assistant\n",
        "混合 mixed текст 😀 — emoji and ünïcödé",
    ];

    readonly string folder = Directory.CreateTempSubdirectory("gguf-export-").FullName;

    public static TheoryData<string> Models => new("qwen2");

    [Theory, MemberData(nameof(Models))]
    public void F16_tokenizes_and_greedy_decodes_like_our_engine(string name)
    {
        string gguf = Export(name, "f16");
        using var ours = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        using var llama = new LlamaCppModel(gguf);

        var tokenizer = ours.RequireTokenizer();
        foreach (var sample in Samples)
            Assert.Equal(tokenizer.Encode(sample), llama.Tokenize(sample));

        foreach (var prompt in Prompts(ours))
        {
            var expected = OurGreedy(ours, prompt, 24);
            var actual = llama.Greedy(prompt, 24);
            TestContext.Current.SendDiagnosticMessage($"{name} f16 prompt [{string.Join(' ', prompt)}]: ours {string.Join(' ', expected)} / llama.cpp {string.Join(' ', actual)}");
            Assert.Equal(expected, actual);
        }
    }

    string Export(string name, string type)
    {
        string output = Path.Combine(folder, $"{name}-{type}.gguf");
        var result = CliRunner.Run("export", "--model", Fixtures.Model(name), "--format", "gguf", "--type", type, "--out", output);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.True(File.Exists(output));
        return output;
    }

    static IEnumerable<int[]> Prompts(PretrainedModel model)
    {
        var tokenizer = model.RequireTokenizer();
        yield return tokenizer.Encode("The quick brown fox");
        yield return tokenizer.Encode("<|im_start|>user\n春眠不觉晓<|im_end|>\n<|im_start|>assistant\n");
        yield return [5, 17, 300, 42, 99];
    }

    /// <summary>Our greedy tokens with no stop token, as llama.cpp's argmax loop has none.</summary>
    static int[] OurGreedy(PretrainedModel model, int[] prompt, int count) =>
        TokenGenerator.Generate(model.Network, [prompt], new SamplingOptions { Temperature = 0, MaxNewTokens = count }, [])
            .Select(step => (int)step[0]).ToArray();

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
