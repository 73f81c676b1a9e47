using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// LoRA and DoRA on a bf16 base, LoRA on an fp16 base (dynamic loss scaling) and on an NF4 base (QLoRA, checkpointed),
/// on CUDA with fp32 adapters: the mixed-precision paths work and learn, their steps replayed from a CUDA graph.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaTrainingTests
{
    [Theory]
    [InlineData("bf16", false)]
    [InlineData("bf16-dora", true)]
    [InlineData("fp16", false)]
    [InlineData("nf4", false)]
    public void Adapters_train_on_a_reduced_precision_base(string variant, bool dora)
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        var dtype = variant == "fp16" ? ScalarType.Float16 : ScalarType.BFloat16;
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cuda, dtype, Quantize4Bit: variant == "nf4"));
        model.Network.GradientCheckpointing = variant == "nf4";
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 16, Alpha = 32, UseDora = dora }, seed: 1);
        var examples = TinyStyleRun.Examples(model);
        var result = new SftTrainer(model.Network, TinyStyleRun.Options).Run(examples, cancellation: TestContext.Current.CancellationToken);
        TinyStyleRun.AssertLearned(result);
        // One micro-batch shape, captured at the first step; every step replays it.
        Assert.Equal(new GraphUse(null, 1, result.Steps.Count), result.Graphs);
        Assert.Equal(variant == "fp16", result.Steps[^1].LossScale is not null);
        TestContext.Current.SendDiagnosticMessage($"{variant} on CUDA: loss {result.Steps[0].Loss:F3} → {result.Steps[^1].Loss:F3}, {result.Steps[^1].TokensPerSecond:N0} tok/s");
    }
}
