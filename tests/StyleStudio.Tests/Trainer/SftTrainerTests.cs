using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>LoRA fine-tuning on CPU with the tiny Qwen2 checkpoint and its tokenizer.</summary>
[Collection(TorchGlobalRandom.Name)]
public class SftTrainerTests
{
    // A small formal → casual mapping: the model must learn to answer each request with its casual rewrite.
    static readonly Turn[] Pairs =
    [
        new("Rewrite casually: The meeting has been cancelled.", "meeting's off!"),
        new("Rewrite casually: Please submit the report today.", "send the report today pls"),
        new("Rewrite casually: I am unable to attend.", "can't make it, sorry"),
        new("Rewrite casually: Thank you for your assistance.", "thanks a ton!"),
        new("Rewrite casually: The weather is pleasant today.", "lovely day out"),
        new("Rewrite casually: We appreciate your patience.", "thanks for hanging in there"),
    ];

    static PretrainedModel LoadModel() =>
        PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    static List<EncodedExample> Encode(PretrainedModel model) =>
        Pairs.Select(p => new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer()).Encode(new Conversation([p]))).ToList();

    static readonly TrainingOptions Fast = new()
    {
        LearningRate = 1e-2, Epochs = 80, BatchSize = 3, GradientAccumulation = 2, WarmupSteps = 5, Seed = 7,
    };

    [Fact]
    public void Lora_learns_a_small_style_mapping_and_reproduces_it_greedily()
    {
        using var model = LoadModel();
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 16, Alpha = 32 }, seed: 1);
        var events = new List<TrainingEvent>();
        var result = new SftTrainer(model.Network, Fast).Run(Encode(model), new SynchronousProgress<TrainingEvent>(events.Add),
            TestContext.Current.CancellationToken);

        Assert.Equal(80, result.Steps.Count);
        Assert.Equal(result.Steps, events);
        // The tiny model's frozen tied head caps how confident it can get (NLL ≈ 0.8 at best), so ask for a 5× drop.
        Assert.True(result.Steps[^1].Loss < result.Steps[0].Loss / 5, $"loss {result.Steps[0].Loss:F3} → {result.Steps[^1].Loss:F3}");
        Assert.All(result.Steps, e => Assert.True(e.GradNorm >= 0 && e.LearningRate >= 0 && e.TokensPerSecond > 0));

        LoraInjector.MergeAll(model.Network);
        var tokenizer = model.RequireTokenizer();
        var endOfTurn = tokenizer.TokenId("<|im_end|>")!.Value;
        var generator = new TextGenerator(model, [endOfTurn]);
        foreach (var pair in Pairs)
        {
            var prompt = tokenizer.Encode(PromptTemplates.Qwen.RenderPrompt(pair.User, null, tokenizer.EosToken!));
            var answer = generator.Generate(prompt, new SamplingOptions { Temperature = 0, MaxNewTokens = 24 },
                cancellation: TestContext.Current.CancellationToken);
            Assert.Equal(pair.Assistant, answer.Text);
            Assert.Equal(FinishReason.Eos, answer.FinishReason);
        }
    }

    [Fact]
    public void Same_seed_gives_bit_identical_losses_on_cpu()
    {
        double[] Run()
        {
            using var model = LoadModel();
            LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1 }, seed: 3);
            return new SftTrainer(model.Network, Fast with { Epochs = 3 }).Run(Encode(model),
                cancellation: TestContext.Current.CancellationToken).Steps.Select(s => s.Loss).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Non_finite_loss_stops_the_run_with_advice()
    {
        using var model = LoadModel();
        var adapters = LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8 });
        using (no_grad()) adapters[0].LoraB.Weight.fill_(double.NaN);
        var error = Assert.Throws<TrainingDivergedException>(() =>
            new SftTrainer(model.Network, Fast).Run(Encode(model), cancellation: TestContext.Current.CancellationToken));
        Assert.Equal(1, error.Step);
        Assert.Contains("lower learning rate", error.Message);
    }

    [Fact]
    public void Without_trainable_parameters_the_trainer_says_so()
    {
        using var model = LoadModel();
        var error = Assert.Throws<InvalidOperationException>(() => new SftTrainer(model.Network, Fast).Run(Encode(model), cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("nothing to train", error.Message);
    }
}
