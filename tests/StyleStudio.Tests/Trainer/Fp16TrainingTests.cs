using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>fp16 training: dynamic loss scaling skips overflowing steps, backs off and grows as torch's GradScaler does.</summary>
[Collection(TorchGlobalRandom.Name)]
public class Fp16TrainingTests
{
    [Fact]
    public void Scaler_halves_and_skips_on_overflow_and_doubles_after_a_run_of_good_steps()
    {
        var scaler = new LossScaler();
        Assert.Equal(LossScaler.InitialScale, scaler.Scale);
        Assert.False(scaler.Update(gradientsFinite: false));
        Assert.Equal(LossScaler.InitialScale / 2, scaler.Scale);
        for (int i = 0; i < LossScaler.GrowthInterval - 1; i++) Assert.True(scaler.Update(gradientsFinite: true));
        Assert.Equal(LossScaler.InitialScale / 2, scaler.Scale);
        Assert.True(scaler.Update(gradientsFinite: true));
        Assert.Equal(LossScaler.InitialScale, scaler.Scale);
        Assert.Equal(new LossScalerState(LossScaler.InitialScale, 0), scaler.State);
    }

    [Fact]
    public void Lora_on_an_fp16_base_learns_and_an_overflowing_scale_only_skips_steps()
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float16));
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 16, Alpha = 32 }, seed: 1);
        var examples = TinyStyleRun.Examples(model);
        using var before = LoraInjector.Adapters(model.Network).First().LoraB.Weight.clone();
        // fp16 tops out at 65504: with the loss scaled by 2^40 the gradients overflow, so the first steps must be skipped
        // (weights untouched, scale halved each time) until the scale fits, and training then proceeds normally.
        var options = TinyStyleRun.Options with { InitialLossScale = Math.Pow(2, 40) };
        string run = Directory.CreateTempSubdirectory("stylestudio-fp16-").FullName;
        var metrics = MetricsLog.StartNew(run);
        var firstStep = new SftTrainer(model.Network, options with { MaxSteps = 1 }).Run(examples, metrics, TestContext.Current.CancellationToken);
        Assert.True(firstStep.Steps[0].Skipped);
        // The overflowed norm is not finite; metrics.jsonl still gets a valid line (JSON has no infinity).
        using (var line = System.Text.Json.JsonDocument.Parse(File.ReadAllLines(metrics.Path).Single()))
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Null, line.RootElement.GetProperty("grad_norm").ValueKind);
            Assert.True(line.RootElement.GetProperty("skipped").GetBoolean());
            Assert.Equal(Math.Pow(2, 39), line.RootElement.GetProperty("loss_scale").GetDouble());
        }
        Directory.Delete(run, recursive: true);
        Assert.Equal(Math.Pow(2, 39), firstStep.Steps[0].LossScale);
        Assert.Equal(0, (LoraInjector.Adapters(model.Network).First().LoraB.Weight - before).abs().max().item<float>());

        var result = new SftTrainer(model.Network, options).Run(examples, cancellation: TestContext.Current.CancellationToken);
        var skipped = result.Steps.TakeWhile(e => e.Skipped).Count();
        Assert.InRange(skipped, 1, 30);
        Assert.All(result.Steps.Skip(skipped), e => Assert.False(e.Skipped));
        Assert.Equal(Math.Pow(2, 40 - skipped), result.Steps[^1].LossScale);
        var learned = result.Steps.Skip(skipped).ToList();
        Assert.True(learned[^1].Loss < learned[0].Loss / 3, $"loss {learned[0].Loss:F3} → {learned[^1].Loss:F3}");
    }
}
