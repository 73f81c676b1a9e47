using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Export;

/// <summary>
/// Base + PEFT adapter (the fixtures PEFT made: LoRA, rsLoRA, DoRA on qwen2) exported with --adapter and run by llama.cpp:
/// its greedy tokens equal our merged model's.
/// </summary>
public sealed class GgufExportAdapterTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("gguf-adapter-").FullName;

    [Theory]
    [InlineData("lora")]
    [InlineData("rslora")]
    [InlineData("dora")]
    public void Merged_adapter_decodes_in_llama_cpp_like_our_merged_model(string variant)
    {
        string adapter = Path.Combine(Fixtures.Root, "peft", variant);
        string gguf = Path.Combine(folder, $"qwen2-{variant}.gguf");
        var result = CliRunner.Run("export", "--model", Fixtures.Model("qwen2"), "--adapter", adapter, "--type", "f16", "--out", gguf);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal([$"qwen2-{variant}.Modelfile", $"qwen2-{variant}.gguf"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        string merged = Path.Combine(folder, "merged");
        AdapterMerger.MergeFolders(Fixtures.Model("qwen2"), adapter, merged);
        var cpu = new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32);
        using var ours = PretrainedModel.Load(merged, cpu);
        using var bare = PretrainedModel.Load(Fixtures.Model("qwen2"), cpu);
        using var llama = new LlamaCppModel(gguf);
        Assert.Equal($"qwen2:{variant}", llama.Metadata["general.name"]);

        int[][] prompts = [[5, 17, 300, 42, 99], ours.RequireTokenizer().Encode("<|im_start|>user\n春眠不觉晓<|im_end|>\n<|im_start|>assistant\n")];
        // The adapter must change what the model says, or this test could not tell a dropped adapter from a merged one.
        Assert.Contains(prompts, p => !Greedy(ours, p).SequenceEqual(Greedy(bare, p)));
        foreach (var prompt in prompts)
            Assert.Equal(Greedy(ours, prompt), llama.Greedy(prompt, 24));
    }

    static int[] Greedy(PretrainedModel model, int[] prompt) =>
        TokenGenerator.Generate(model.Network, [prompt], new SamplingOptions { Temperature = 0, MaxNewTokens = 24 }, [])
            .Select(step => (int)step[0]).ToArray();

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
