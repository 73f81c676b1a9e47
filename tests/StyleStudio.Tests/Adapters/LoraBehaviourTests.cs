using System.Text.Json.Nodes;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Adapters;

public sealed class LoraBehaviourTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-lora-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static PretrainedModel LoadBase() =>
        PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    static Tensor Logits(CausalLM model)
    {
        var ids = tensor(new long[] { 5, 17, 300, 42, 99, 7 }).unsqueeze(0);
        using var noGrad = no_grad();
        return model.Forward(new ForwardInput(ids, arange(6).unsqueeze(0)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_fresh_adapter_starts_as_the_base_model_and_trains_only_its_own_weights(bool dora)
    {
        using var model = LoadBase();
        using var scope = NewDisposeScope();
        var before = Logits(model.Network);
        var adapters = LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj"], UseDora = dora });
        Assert.Equal(4, adapters.Count);
        Assert.Equal(0, (Logits(model.Network) - before).abs().max().item<float>(), 6);
        var trainable = model.Network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Equal(dora ? 12 : 8, trainable.Count);
        Assert.All(trainable, n => Assert.Matches(@"self_attn\.(q|v)_proj\.lora_(A\.weight|B\.weight|magnitude_vector)$", n));
    }

    [Fact]
    public void Generation_with_an_unmerged_adapter_equals_generation_after_merging()
    {
        using var model = LoadBase();
        PeftAdapter.Load(model.Network, Path.Combine(Fixtures.Root, "peft", "dora"));
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = 12, MinNewTokens = 12 };
        var cancel = TestContext.Current.CancellationToken;
        Assert.Null(model.Network.CompiledDecoder);
        var eager = TokenGenerator.Generate(model.Network, [[5, 17, 300]], greedy, [], cancel).Select(s => s[0]).ToList();
        LoraInjector.MergeAll(model.Network);
        Assert.NotNull(model.Network.CompiledDecoder);
        var merged = TokenGenerator.Generate(model.Network, [[5, 17, 300]], greedy, [], cancel).Select(s => s[0]).ToList();
        Assert.Equal(eager, merged);
    }

    [Fact]
    public void Invalid_settings_are_named()
    {
        using var model = LoadBase();
        var error = Assert.Throws<ArgumentException>(() => LoraInjector.Apply(model.Network, new LoraConfig { TargetModules = ["qkv"] }));
        Assert.Contains("unknown target module(s) qkv", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoraConfig { Rank = 0 }.Validate());
        LoraInjector.Apply(model.Network, new LoraConfig());
        Assert.Throws<InvalidOperationException>(() => LoraInjector.Apply(model.Network, new LoraConfig()));
    }

    void CopyFixtureAdapter()
    {
        foreach (var file in new[] { PeftAdapter.ConfigFile, PeftAdapter.WeightsFile })
            File.Copy(Path.Combine(Fixtures.Root, "peft", "lora", file), Path.Combine(folder, file), overwrite: true);
    }

    [Fact]
    public void Broken_adapter_folders_fail_with_the_file_and_field_named()
    {
        using var model = LoadBase();
        CopyFixtureAdapter();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, PeftAdapter.ConfigFile)))!.AsObject();
        config["rank_pattern"] = new JsonObject { ["q_proj"] = 16 };
        File.WriteAllText(Path.Combine(folder, PeftAdapter.ConfigFile), config.ToJsonString());
        var error = Assert.Throws<ModelLoadException>(() => PeftAdapter.Load(model.Network, folder));
        Assert.Equal("rank_pattern", error.Item);

        CopyFixtureAdapter();
        config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, PeftAdapter.ConfigFile)))!.AsObject();
        config["r"] = 8; // the tensors are rank 4
        File.WriteAllText(Path.Combine(folder, PeftAdapter.ConfigFile), config.ToJsonString());
        using var fresh = LoadBase();
        error = Assert.Throws<ModelLoadException>(() => PeftAdapter.Load(fresh.Network, folder));
        Assert.Contains("lora_A.weight", error.Item);
        Assert.Contains("[4, 64] in the file, but the model expects [8, 64]", error.Message);
    }
}
