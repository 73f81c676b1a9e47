using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

[Collection(TorchGlobalRandom.Name)]
public class FullAndFreezeTests
{
    static (PretrainedModel, List<EncodedExample>) Setup()
    {
        var model = PretrainedModel.Load(Fixtures.Model("llama3"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var encoder = new ExampleEncoder(PromptTemplates.Llama3, model.RequireTokenizer());
        var examples = new[] { ("formal: Good morning.", "morning!"), ("formal: Thank you.", "thx!") }
            .Select(p => encoder.Encode(new Conversation([new Turn(p.Item1, p.Item2)]))).ToList();
        return (model, examples);
    }

    static readonly TrainingOptions Options = new() { LearningRate = 3e-3, Epochs = 30, BatchSize = 2, GradientAccumulation = 1 };

    [Fact]
    public void Full_fine_tuning_updates_every_weight_including_fused_projections_and_learns()
    {
        var (model, examples) = Setup();
        using (model)
        {
            Assert.Equal(model.Network.parameters().Count(), TrainableSelection.All(model.Network));
            using var qkvBefore = model.Network.Model.Layers[0].SelfAttention.QkvWeight!.clone();
            var result = new SftTrainer(model.Network, Options).Run(examples, cancellation: TestContext.Current.CancellationToken);
            Assert.True(result.Steps[^1].Loss < result.Steps[0].Loss / 5, $"loss {result.Steps[0].Loss:F3} → {result.Steps[^1].Loss:F3}");
            // q/k/v parameters are views of the fused buffer the compiled decoder reads: updates must land there too.
            Assert.True((model.Network.Model.Layers[0].SelfAttention.QkvWeight! - qkvBefore).abs().max().item<float>() > 0);
        }
    }

    [Fact]
    public void Freeze_tuning_trains_only_the_last_layers()
    {
        var (model, examples) = Setup();
        using (model)
        {
            int trainable = TrainableSelection.LastLayers(model.Network, 1);
            var frozenBefore = model.Network.named_parameters().Where(p => !p.parameter.requires_grad)
                .ToDictionary(p => p.name, p => p.parameter.clone());
            Assert.Equal(9, trainable); // norms ×2, q/k/v/o, gate/up/down of layer 1
            Assert.All(model.Network.named_parameters().Where(p => p.parameter.requires_grad), p => Assert.StartsWith("model.layers.1.", p.name));
            new SftTrainer(model.Network, Options with { Epochs = 3 }).Run(examples, cancellation: TestContext.Current.CancellationToken);
            foreach (var (name, parameter) in model.Network.named_parameters().Where(p => !p.parameter.requires_grad))
                Assert.True((parameter - frozenBefore[name]).abs().max().item<float>() == 0, $"{name} changed although frozen");
            Assert.Throws<ArgumentOutOfRangeException>(() => TrainableSelection.LastLayers(model.Network, 3));
        }
    }
}
