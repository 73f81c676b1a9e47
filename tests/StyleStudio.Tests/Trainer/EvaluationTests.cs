using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

[Collection(TorchGlobalRandom.Name)]
public sealed class EvaluationTests : IDisposable
{
    readonly string runs = Directory.CreateTempSubdirectory("stylestudio-eval-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    static (PretrainedModel Model, ExampleEncoder Encoder) Setup()
    {
        var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 8, Alpha = 16 }, seed: 2);
        return (model, new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer()));
    }

    static EncodedExample Pair(ExampleEncoder encoder, string user, string answer) => encoder.Encode(new Conversation([new Turn(user, answer)]));

    [Fact]
    public void Split_is_seeded_disjoint_and_sized_by_fraction_or_count()
    {
        var items = Enumerable.Range(0, 100).ToList();
        var (train, validation) = DatasetSplit.Split(items, 0.1, seed: 1);
        Assert.Equal(10, validation.Count);
        Assert.Equal(items, train.Concat(validation).Order());
        Assert.Equal(validation, DatasetSplit.Split(items, 0.1, seed: 1).Validation);
        Assert.NotEqual(validation, DatasetSplit.Split(items, 0.1, seed: 2).Validation);
        Assert.Equal(7, DatasetSplit.Split(items, 7, seed: 1).Validation.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split(items, 100, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split(items, 2.5, seed: 1));
    }

    [Fact]
    public void Eval_loss_is_reported_on_schedule_and_falls_when_validation_resembles_training()
    {
        var (model, encoder) = Setup();
        using (model)
        {
            var train = new[] { Pair(encoder, "casual: Good morning.", "morning!"), Pair(encoder, "casual: Thank you.", "thx!") };
            var validation = new[] { Pair(encoder, "casual: Good morning.", "morning!") };
            var result = new SftTrainer(model.Network, new TrainingOptions { LearningRate = 1e-2, Epochs = 12, BatchSize = 2, GradientAccumulation = 1, EvalEverySteps = 4 })
                .Run(train, cancellation: TestContext.Current.CancellationToken, validation: validation);
            Assert.Equal([4, 8, 12], result.Steps.Where(s => s.EvalLoss is not null).Select(s => s.Step));
            var evals = result.Steps.Where(s => s.EvalLoss is not null).Select(s => s.EvalLoss!.Value).ToList();
            Assert.True(evals[^1] < evals[0], $"eval loss {evals[0]:F3} → {evals[^1]:F3}");
            Assert.Equal(evals.Min(), result.BestEvalLoss);
            Assert.False(result.StoppedEarly);
        }
    }

    [Fact]
    public void Early_stopping_halts_when_validation_stops_improving_and_keeps_the_best_checkpoint()
    {
        var (model, encoder) = Setup();
        using (model)
        {
            // Validation asks for the opposite of what training teaches, so it gets worse once training takes hold.
            var train = new[] { Pair(encoder, "casual: Good morning.", "morning!"), Pair(encoder, "casual: Thank you.", "thx!") };
            var validation = new[] { Pair(encoder, "casual: Good morning.", "thx!"), Pair(encoder, "casual: Thank you.", "morning!") };
            string run = Path.Combine(runs, "early");
            var result = new SftTrainer(model.Network, new TrainingOptions
            {
                LearningRate = 2e-2, Epochs = 60, BatchSize = 2, GradientAccumulation = 1, EvalEverySteps = 2, EarlyStoppingPatience = 3,
            }).Run(train, cancellation: TestContext.Current.CancellationToken, checkpoints: new CheckpointOptions(run, EverySteps: 1000),
                validation: validation);

            Assert.True(result.StoppedEarly);
            Assert.True(result.Steps.Count < 60, $"ran {result.Steps.Count} steps");
            int lastEval = result.Steps[^1].Step;
            Assert.Equal(result.BestStep + 3 * 2, lastEval); // three evaluations without improvement after the best
            string best = Path.Combine(run, TrainingCheckpoint.BestFolder);
            Assert.Contains($"\"Step\":{result.BestStep}", File.ReadAllText(Path.Combine(best, "trainer_state.json")));
        }
    }
}
