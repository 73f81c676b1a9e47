using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Adapters;

/// <summary>
/// Adapters saved by PEFT 0.21 (nonzero B, all linear targets) on the tiny Qwen2 fixture, and on the tiny GLM-4 fixture
/// (whose MLP has one fused gate_up_proj): our forward, masked loss, every adapter gradient, merge and unmerge against
/// what PEFT computed (tools/reference/make_peft_reference.py, make_glm_reference.py).
/// </summary>
public sealed class PeftParityTests : IDisposable
{
    internal const string KeyPrefix = "base_model.model.";
    readonly List<string> scratch = [];

    public static TheoryData<string, string> Variants => new()
    {
        { "qwen2", "lora" }, { "qwen2", "rslora" }, { "qwen2", "dora" }, { "glm4", "lora" }, { "glm4", "dora" },
    };

    /// <summary>Projections per layer the fixtures target: all seven of Qwen2's; GLM-4's six (gate and up fused).</summary>
    static int Projections(string model) => model == "glm4" ? 6 : 7;

    internal static string AdapterFolder(string model, string variant) =>
        Path.Combine(Fixtures.Root, model == "qwen2" ? "peft" : "peft-" + model, variant);

    static PretrainedModel LoadBase(string model) =>
        PretrainedModel.Load(Fixtures.Model(model), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    internal sealed record Case(Tensor Ids, Tensor Labels, double Loss, SafetensorsFile Reference) : IDisposable
    {
        public Tensor Read(string name)
        {
            var result = empty(Reference.Entries[name].Shape, ScalarType.Float32);
            Reference.ReadInto(name, result);
            return result;
        }

        public void Dispose() => Reference.Dispose();
    }

    internal static Case LoadCase(string model, string variant)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AdapterFolder(model, variant), "reference.json")));
        Tensor Rows(string name) => tensor(json.RootElement.GetProperty(name).EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).SelectMany(r => r).ToArray(), [2, 12]);
        return new Case(Rows("input_ids"), Rows("labels"), json.RootElement.GetProperty("loss").GetDouble(),
            new SafetensorsFile(Path.Combine(AdapterFolder(model, variant), "reference.safetensors")));
    }

    static Tensor Forward(CausalLM model, Tensor ids) =>
        model.Forward(new ForwardInput(ids, arange(ids.shape[1]).expand(ids.shape[0], ids.shape[1])));

    static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Theory, MemberData(nameof(Variants))]
    public void Forward_loss_and_every_gradient_match_peft(string name, string variant)
    {
        using var model = LoadBase(name);
        var adapters = PeftAdapter.Load(model.Network, AdapterFolder(name, variant));
        Assert.Equal(Projections(name) * 2, adapters.Count); // every projection × 2 layers
        using var reference = LoadCase(name, variant);
        using var scope = NewDisposeScope();

        var logits = Forward(model.Network, reference.Ids);
        Assert.True(MaxDifference(logits, reference.Read("logits")) < 1e-4, "logits differ from PEFT's");
        var loss = CausalLmLoss.Compute(logits, reference.Labels);
        Assert.Equal(reference.Loss, loss.item<float>(), 1e-5);

        loss.backward();
        var gradients = model.Network.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.Equal(reference.Reference.Entries.Keys.Count(k => k.StartsWith("grad.")), gradients.Count);
        foreach (var (parameterName, parameter) in gradients)
        {
            string key = "grad." + KeyPrefix + parameterName + (parameterName.EndsWith("lora_magnitude_vector") ? ".weight" : "");
            var expected = reference.Read(key);
            double scale = expected.abs().max().item<float>();
            double error = MaxDifference(parameter.grad!, expected);
            Assert.True(error <= 1e-4 * Math.Max(scale, 1e-3), $"{parameterName}: |Δgrad| {error:E2} at gradient scale {scale:E2}");
        }
        Assert.All(model.Network.named_parameters().Where(p => !p.name.Contains("lora_")), p => Assert.False(p.parameter.requires_grad));
    }

    [Theory, MemberData(nameof(Variants))]
    public void Merging_matches_peft_merge_and_unmerging_restores_the_base(string name, string variant)
    {
        using var model = LoadBase(name);
        using var scope = NewDisposeScope();
        using var reference = LoadCase(name, variant);
        using var noGrad = no_grad();
        var baseLogits = Forward(model.Network, reference.Ids);
        PeftAdapter.Load(model.Network, AdapterFolder(name, variant));
        var adapted = Forward(model.Network, reference.Ids);
        Assert.True(MaxDifference(adapted, baseLogits) > 1e-2, "the adapter should change the model");

        LoraInjector.MergeAll(model.Network);
        var merged = Forward(model.Network, reference.Ids);
        Assert.True(MaxDifference(merged, reference.Read("merged_logits")) < 1e-4, "merged logits differ from PEFT's merge_and_unload");
        Assert.True(MaxDifference(merged, adapted) < 1e-4, "merging changed the model's function");
        Assert.NotNull(model.Network.CompiledDecoder); // merged adapters leave the fast decode path available

        LoraInjector.UnmergeAll(model.Network);
        Assert.Null(model.Network.CompiledDecoder);
        Assert.True(MaxDifference(Forward(model.Network, reference.Ids), adapted) < 1e-4, "unmerge did not restore the adapted model");
        Assert.All(LoraInjector.Adapters(model.Network), a => Assert.False(a.Merged));
    }

    [Theory, MemberData(nameof(Variants))]
    public void Saved_adapter_holds_the_same_tensors_and_config(string name, string variant)
    {
        using var model = LoadBase(name);
        var config = PeftAdapter.ReadConfig(AdapterFolder(name, variant));
        PeftAdapter.Load(model.Network, AdapterFolder(name, variant));
        string folder = Directory.CreateTempSubdirectory("stylestudio-adapter-").FullName;
        scratch.Add(folder);
        PeftAdapter.Save(model.Network, config, folder, Fixtures.Model(name));

        Assert.Equal(config, PeftAdapter.ReadConfig(folder) with { TargetModules = config.TargetModules });
        Assert.Equal(config.TargetModules.Order(), PeftAdapter.ReadConfig(folder).TargetModules.Order());
        using var original = new SafetensorsFile(Path.Combine(AdapterFolder(name, variant), PeftAdapter.WeightsFile));
        using var saved = new SafetensorsFile(Path.Combine(folder, PeftAdapter.WeightsFile));
        Assert.Equal(original.Entries.Keys.Order(), saved.Entries.Keys.Order());
        using var scope = NewDisposeScope();
        foreach (var key in original.Entries.Keys)
        {
            var a = empty(original.Entries[key].Shape, ScalarType.Float32);
            var b = empty(saved.Entries[key].Shape, ScalarType.Float32);
            original.ReadInto(key, a);
            saved.ReadInto(key, b);
            Assert.True(MaxDifference(a, b) == 0, $"{key} changed on the way through StyleStudio");
        }
    }

    public void Dispose()
    {
        foreach (var folder in scratch) Directory.Delete(folder, recursive: true);
    }
}
