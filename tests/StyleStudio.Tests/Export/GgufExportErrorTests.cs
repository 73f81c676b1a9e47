using System.Text.Json.Nodes;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Export;

/// <summary>Bad input fails with a message that names the cause, and leaves no file behind (nor harms an older one).</summary>
public sealed class GgufExportErrorTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("gguf-errors-").FullName;

    string Output => Path.Combine(folder, "out.gguf");

    CliRunner.Result Export(params string[] extra) =>
        CliRunner.Run(["export", .. extra, "--out", Output]);

    void AssertFailedCleanly(CliRunner.Result result, params string[] messageParts)
    {
        Assert.NotEqual(0, result.ExitCode);
        foreach (var part in messageParts) Assert.Contains(part, result.Stderr);
        Assert.DoesNotContain(Directory.GetFileSystemEntries(folder), p => Path.GetFileName(p) != "model");
    }

    [Fact]
    public void Unknown_type_is_refused_with_the_choices()
    {
        var result = Export("--model", Fixtures.Model("qwen2"), "--type", "q3_k");
        AssertFailedCleanly(result, "q3_k", "f16, bf16, q8_0, q4_0, q4_k_m");
    }

    [Fact]
    public void Architecture_llama_cpp_cannot_take_is_refused_naming_config_json()
    {
        string model = AdapterModelsFolder.CopyFiles(Fixtures.Model("qwen2"), Path.Combine(folder, "model"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        config["architectures"] = new JsonArray("GPT2LMHeadModel");
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        var result = Export("--model", model, "--type", "f16");
        AssertFailedCleanly(result, "config.json", "architectures", "GPT2LMHeadModel");
    }

    [Fact]
    public void Glm_whose_heads_do_not_span_hidden_size_is_refused_naming_head_dim()
    {
        var result = Export("--model", Fixtures.Model("glm"), "--type", "f16");
        AssertFailedCleanly(result, "config.json", "head_dim", "chatglm");
    }

    [Fact]
    public void Output_in_a_missing_folder_is_refused_and_not_created()
    {
        string missing = Path.Combine(folder, "no-such-folder", "out.gguf");
        var result = CliRunner.Run("export", "--model", Fixtures.Model("qwen2"), "--type", "f16", "--out", missing);
        AssertFailedCleanly(result, Path.Combine(folder, "no-such-folder"), "does not exist");
    }

    [Fact]
    public void Adapter_for_a_different_base_is_refused_and_its_merge_folder_removed()
    {
        // PEFT's LoRA fixture was trained on qwen2 (q_proj 64 → 64); qwen3's q_proj is 64 → 96.
        var result = Export("--model", Fixtures.Model("qwen3"), "--adapter", Path.Combine(Fixtures.Root, "peft", "lora"), "--type", "f16");
        AssertFailedCleanly(result, "adapter_model.safetensors");
    }

    [Fact]
    public void Q8_0_of_rows_that_do_not_fill_its_blocks_is_refused_naming_the_tensor_and_keeps_the_older_file()
    {
        File.WriteAllText(Output, "an earlier export");
        var result = Export("--model", Fixtures.Model("qwen2"), "--type", "q8_0");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("blk.0.ffn_down.weight has rows of 112", result.Stderr);
        Assert.Equal("an earlier export", File.ReadAllText(Output));
        Assert.Equal(["out.gguf"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
