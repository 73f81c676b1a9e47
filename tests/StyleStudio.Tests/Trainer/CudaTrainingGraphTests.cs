using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// Training steps replayed from CUDA graphs against the same run issued eagerly: the losses of every step and the adapter
/// weights at the end agree, across micro-batch shapes, gradient accumulation, checkpointing and packing.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaTrainingGraphTests
{
    static readonly Turn[] Pairs =
    [
        new("formal: Good morning.", "morning!"),
        new("formal: Thank you kindly.", "thx!"),
        new("formal: I decline.", "nah"),
        new("formal: Kindly reply at your earliest convenience.", "lmk when you can"),
        new("formal: I regret to inform you that the meeting has been postponed until further notice, owing to circumstances beyond our control.", "meeting's off for now, sorry"),
        new("formal: The results exceeded expectations.", "results were way better than expected"),
        new("formal: Please find the attached document.", "doc attached"),
    ];

    static void RequireCuda()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
    }

    static (TrainingResult Result, Tensor[] Weights) Train(bool graphs, bool checkpointing, int? packLength, double dropout = 0)
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cuda, ScalarType.Float32));
        model.Network.GradientCheckpointing = checkpointing;
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 8, Alpha = 16, Dropout = dropout }, seed: 1);
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer());
        var examples = Pairs.Select(p => encoder.Encode(new Conversation([p]))).ToList();
        var options = new TrainingOptions
        {
            LearningRate = 2e-3, Epochs = 6, BatchSize = 2, GradientAccumulation = 2, WarmupSteps = 2, PackLength = packLength, CudaGraphs = graphs,
        };
        var result = new SftTrainer(model.Network, options).Run(examples, cancellation: TestContext.Current.CancellationToken);
        var weights = LoraInjector.Adapters(model.Network).SelectMany(a => new[] { a.LoraA.Weight, a.LoraB.Weight })
            .Select(w => w.detach().cpu()).ToArray();
        return (result, weights);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, 160)]
    public void Replayed_steps_give_the_eager_steps_losses_and_weights(bool checkpointing, int? packLength)
    {
        RequireCuda();
        var eager = Train(graphs: false, checkpointing, packLength);
        var replayed = Train(graphs: true, checkpointing, packLength);

        Assert.Equal("turned off", eager.Result.Graphs!.Off);
        Assert.Null(replayed.Result.Graphs!.Off);
        Assert.InRange(replayed.Result.Graphs.Shapes, 1, 4);
        // Two micro-batches a step (packing may leave one); all of them replayed.
        Assert.InRange(replayed.Result.Graphs.Replays, replayed.Result.Steps.Count, 2L * replayed.Result.Steps.Count);
        Assert.Equal(eager.Result.Steps.Count, replayed.Result.Steps.Count);
        for (int i = 0; i < eager.Result.Steps.Count; i++)
            Assert.True(Math.Abs(eager.Result.Steps[i].Loss - replayed.Result.Steps[i].Loss) <= 1e-4 * Math.Max(1, eager.Result.Steps[i].Loss),
                $"step {i + 1}: eager loss {eager.Result.Steps[i].Loss:R}, replayed {replayed.Result.Steps[i].Loss:R}");
        Assert.True(replayed.Result.Steps[^1].Loss < replayed.Result.Steps[0].Loss, "the replayed run learns");
        double largest = eager.Weights.Max(w => w.abs().max().item<float>());
        double difference = eager.Weights.Zip(replayed.Weights).Max(p => (p.First - p.Second).abs().max().item<float>());
        Assert.True(difference <= 1e-4 * largest, $"adapter weights differ by {difference:G3} (largest {largest:G3})");
        TestContext.Current.SendDiagnosticMessage($"{replayed.Result.Graphs}: loss {replayed.Result.Steps[0].Loss:F4} → {replayed.Result.Steps[^1].Loss:F4}, weights within {difference:G3}");
    }

    [Fact]
    public void A_replayed_run_stopped_and_resumed_continues_as_the_uninterrupted_run()
    {
        RequireCuda();
        var cancel = TestContext.Current.CancellationToken;
        string runs = Directory.CreateTempSubdirectory("stylestudio-cuda-resume-").FullName;
        try
        {
            (PretrainedModel Model, List<EncodedExample> Examples) Setup()
            {
                var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cuda, ScalarType.BFloat16));
                LoraInjector.Apply(model.Network, new LoraConfig { Rank = 8, Alpha = 16 }, seed: 1);
                var encoder = new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer());
                return (model, Pairs.Select(p => encoder.Encode(new Conversation([p]))).ToList());
            }
            var options = new TrainingOptions { LearningRate = 2e-3, Epochs = 6, BatchSize = 2, GradientAccumulation = 2, WarmupSteps = 2 };
            double[] straight;
            {
                var (model, examples) = Setup();
                using (model) straight = new SftTrainer(model.Network, options).Run(examples, cancellation: cancel).Steps.Select(s => s.Loss).ToArray();
            }
            string run = Path.Combine(runs, "run");
            double[] firstHalf, secondHalf;
            {
                var (model, examples) = Setup();
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                using (model)
                {
                    var result = new SftTrainer(model.Network, options).Run(examples, new Stop(e => { if (e.Step == 5) stop.Cancel(); }),
                        stop.Token, new CheckpointOptions(run, EverySteps: 100, KeepLast: 2));
                    Assert.True(result.Cancelled);
                    Assert.Null(result.Graphs!.Off);
                    firstHalf = result.Steps.Select(s => s.Loss).ToArray();
                }
            }
            {
                var (model, examples) = Setup();
                using (model)
                {
                    var result = new SftTrainer(model.Network, options).Run(examples, cancellation: cancel,
                        checkpoints: new CheckpointOptions(run, EverySteps: 100, KeepLast: 2), resumeFrom: TrainingCheckpoint.List(run)[^1]);
                    Assert.Null(result.Graphs!.Off);
                    secondHalf = result.Steps.Select(s => s.Loss).ToArray();
                }
            }
            // Exact: the same replayed kernels on the same numbers (measured on an H200: 12 of 12 losses bit-equal).
            Assert.Equal(straight, firstHalf.Concat(secondHalf).ToArray());
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    sealed class Stop(Action<TrainingEvent> report) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent value) => report(value);
    }

    [Fact]
    public void Adapter_dropout_keeps_the_steps_eager_and_says_why()
    {
        RequireCuda();
        var (result, _) = Train(graphs: true, checkpointing: false, packLength: null, dropout: 0.1);
        Assert.Contains("dropout", result.Graphs!.Off);
        Assert.Equal(0, result.Graphs.Replays);
        Assert.True(result.Steps[^1].Loss < result.Steps[0].Loss);
    }
}
