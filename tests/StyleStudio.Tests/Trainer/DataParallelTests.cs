using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// Data-parallel training on the CPU (copies summed through device copies, as on GPUs without NCCL): the losses and
/// weights of N copies with accumulation A equal those of one copy with accumulation N·A (the same global batch), the
/// copies stay identical, and a data-parallel run resumes exactly. The GPU forms are in CudaDataParallelTests.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
public sealed class DataParallelTests : IDisposable
{
    readonly string runs = Directory.CreateTempSubdirectory("stylestudio-dp-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    internal static readonly Turn[] Pairs =
    [
        new("formal: Good morning.", "morning!"),
        new("formal: Thank you kindly.", "thx!"),
        new("formal: I decline.", "nah"),
        new("formal: Kindly reply at your earliest convenience.", "lmk when you can"),
        new("formal: I regret to inform you that the meeting has been postponed until further notice.", "meeting's off for now, sorry"),
        new("formal: The results exceeded expectations.", "results were way better than expected"),
        new("formal: Please find the attached document.", "doc attached"),
    ];

    /// <summary>Copies of the tiny Qwen2 with rank-4 adapters, each initialised with another seed (the trainer makes
    /// them equal), and the encoded pairs.</summary>
    internal static (List<PretrainedModel> Copies, List<EncodedExample> Examples) Load(IReadOnlyList<ModelLoadOptions> devices)
    {
        var copies = devices.Select((options, i) =>
        {
            var model = PretrainedModel.Load(Fixtures.Model("qwen2"), options);
            LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8 }, seed: 3 + i);
            return model;
        }).ToList();
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, copies[0].RequireTokenizer());
        return (copies, Pairs.Select(p => encoder.Encode(new Conversation([p]))).ToList());
    }

    internal static Tensor[] AdapterWeights(PretrainedModel model) =>
        LoraInjector.Adapters(model.Network).SelectMany(a => new[] { a.LoraA.Weight, a.LoraB.Weight }).Select(w => w.detach().cpu()).ToArray();

    static readonly ModelLoadOptions Cpu = new(DevicePreference.Cpu, ScalarType.Float32);

    static TrainingOptions Options(int accumulation) => new()
    {
        LearningRate = 3e-3, Epochs = 6, BatchSize = 2, GradientAccumulation = accumulation, WarmupSteps = 1, Seed = 5,
    };

    [Theory]
    [InlineData(2, 1)]   // 4 micro-batches an epoch: two steps of one each per copy
    [InlineData(3, 1)]   // three a step: the second step gives two copies nothing to do
    [InlineData(2, 2)]
    public void Copies_follow_the_loss_curve_of_one_copy_with_the_same_global_batch(int copies, int accumulation)
    {
        var cancel = TestContext.Current.CancellationToken;
        var (single, examples) = Load([Cpu]);
        using var one = single[0];
        var expected = new SftTrainer(one.Network, Options(copies * accumulation)).Run(examples, cancellation: cancel);

        var (many, _) = Load(Enumerable.Repeat(Cpu, copies).ToList());
        try
        {
            var trainer = new SftTrainer(many.Select(m => m.Network).ToList(), Options(accumulation));
            var result = trainer.Run(examples, cancellation: cancel);
            Assert.StartsWith("gradients summed through device copies", result.Reduction);
            Assert.Equal(expected.Steps.Count, result.Steps.Count);
            Assert.True(expected.Steps.Count >= 4, $"only {expected.Steps.Count} steps");
            foreach (var (want, got) in expected.Steps.Zip(result.Steps))
            {
                Assert.Equal(want.Loss, got.Loss, 1e-5);
                Assert.Equal(want.GradNorm!.Value, got.GradNorm!.Value, 1e-5);
            }
            // The loss moved: equal curves of an untrained model would prove nothing.
            Assert.True(result.Steps[^1].Loss < result.Steps[0].Loss - 0.05, $"loss {result.Steps[0].Loss} → {result.Steps[^1].Loss}");

            var reference = AdapterWeights(one);
            var first = AdapterWeights(many[0]);
            double largest = reference.Max(w => w.abs().max().item<float>());
            foreach (var (want, got) in reference.Zip(first))
                Assert.True(want.allclose(got, rtol: 0, atol: 1e-5 * largest), "adapter weights differ from the single copy's");
            foreach (var copy in many.Skip(1))       // the copies take the same steps from the same start
                foreach (var (want, got) in first.Zip(AdapterWeights(copy)))
                    Assert.True(want.equal(got).all().item<bool>(), "the copies' weights drifted apart");
        }
        finally
        {
            many.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void A_data_parallel_run_resumes_exactly()
    {
        var cancel = TestContext.Current.CancellationToken;
        var options = Options(1) with { Epochs = 4 };   // 2 steps an epoch
        double[] straight;
        {
            var (copies, examples) = Load([Cpu, Cpu]);
            try
            {
                straight = new SftTrainer(copies.Select(m => m.Network).ToList(), options).Run(examples, cancellation: cancel)
                    .Steps.Select(s => s.Loss).ToArray();
            }
            finally { copies.ForEach(m => m.Dispose()); }
        }
        Assert.Equal(8, straight.Length);

        string run = Path.Combine(runs, "interrupted");
        double[] firstHalf, secondHalf;
        {
            var (copies, examples) = Load([Cpu, Cpu]);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            try
            {
                var result = new SftTrainer(copies.Select(m => m.Network).ToList(), options).Run(examples,
                    new Progress(e => { if (e.Step == 3) stop.Cancel(); }), stop.Token, new CheckpointOptions(run, EverySteps: 100, KeepLast: 2));
                Assert.True(result.Cancelled);
                firstHalf = result.Steps.Select(s => s.Loss).ToArray();
            }
            finally { copies.ForEach(m => m.Dispose()); }
        }
        {
            var (copies, examples) = Load([Cpu, Cpu]);   // fresh adapters: the trained ones must come from the checkpoint
            try
            {
                secondHalf = new SftTrainer(copies.Select(m => m.Network).ToList(), options).Run(examples, cancellation: cancel,
                    checkpoints: new CheckpointOptions(run, EverySteps: 100, KeepLast: 2), resumeFrom: TrainingCheckpoint.List(run)[^1])
                    .Steps.Select(s => s.Loss).ToArray();
            }
            finally { copies.ForEach(m => m.Dispose()); }
        }
        Assert.Equal(straight, firstHalf.Concat(secondHalf).ToArray());
    }

    [Fact]
    public void Device_copies_sum_every_buffer_in_replica_order()
    {
        using var reducer = GradientReducer.For([CPU, CPU, CPU]);
        Tensor[] buffers = [tensor(new[] { 1f, 2f }), tensor(new[] { 3f, 4f }), tensor(new[] { 5f, 6f })];
        reducer.AllReduceSum(buffers);
        foreach (var buffer in buffers) Assert.Equal(new[] { 9f, 12f }, buffer.data<float>().ToArray());
    }

    [Fact]
    public void Copies_that_train_different_tensors_are_refused()
    {
        using var first = PretrainedModel.Load(Fixtures.Model("qwen2"), Cpu);
        using var second = PretrainedModel.Load(Fixtures.Model("qwen2"), Cpu);
        LoraInjector.Apply(first.Network, new LoraConfig { Rank = 4, Alpha = 8 }, seed: 1);
        LoraInjector.Apply(second.Network, new LoraConfig { Rank = 8, Alpha = 8 }, seed: 1);
        var examples = new ExampleEncoder(PromptTemplates.Qwen, first.RequireTokenizer()).Encode(new Conversation([Pairs[0]]));
        var error = Assert.Throws<ArgumentException>(() =>
            new SftTrainer([first.Network, second.Network], Options(1)).Run([examples], cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("does not train the same tensors", error.Message);
    }

    sealed class Progress(Action<TrainingEvent> report) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent value) => report(value);
    }
}
