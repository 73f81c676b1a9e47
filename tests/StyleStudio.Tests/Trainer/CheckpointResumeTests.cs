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
public sealed class CheckpointResumeTests : IDisposable
{
    readonly string runs = Directory.CreateTempSubdirectory("stylestudio-runs-").FullName;

    public void Dispose() => Directory.Delete(runs, recursive: true);

    static readonly Turn[] Pairs =
    [
        new("Make it casual: Good morning, everyone.", "morning all!"),
        new("Make it casual: Kindly reply at your earliest convenience.", "lmk when you can"),
        new("Make it casual: The results exceeded expectations.", "results were way better than expected"),
        new("Make it casual: I regret to inform you.", "bad news, sorry"),
        new("Make it casual: Your request has been approved.", "you're approved!"),
    ];

    // 5 examples, batch 2, no accumulation: 3 steps per epoch, so step 10 ends mid-epoch (epoch 3, after one group).
    static readonly TrainingOptions Options = new()
    {
        LearningRate = 5e-3, Epochs = 7, BatchSize = 2, GradientAccumulation = 1, WarmupSteps = 3, MaxSteps = 20, Seed = 11,
    };

    static (PretrainedModel Model, List<EncodedExample> Examples) Setup()
    {
        var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1 }, seed: 5);
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer());
        return (model, Pairs.Select(p => encoder.Encode(new Conversation([p]))).ToList());
    }

    [Fact]
    public void Ten_steps_then_resume_then_ten_more_equals_twenty_uninterrupted_steps()
    {
        var cancel = TestContext.Current.CancellationToken;
        double[] straight;
        {
            var (model, examples) = Setup();
            using (model) straight = new SftTrainer(model.Network, Options).Run(examples, cancellation: cancel).Steps.Select(s => s.Loss).ToArray();
        }
        Assert.Equal(20, straight.Length);

        string run = Path.Combine(runs, "interrupted");
        double[] firstHalf;
        {
            var (model, examples) = Setup();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var progress = new Stop(e => { if (e.Step == 10) stop.Cancel(); });
            using (model)
            {
                var result = new SftTrainer(model.Network, Options).Run(examples, progress, stop.Token, new CheckpointOptions(run, EverySteps: 5, KeepLast: 2));
                Assert.True(result.Cancelled);
                firstHalf = result.Steps.Select(s => s.Loss).ToArray();
            }
        }
        Assert.Equal(["checkpoint-5", "checkpoint-10"], TrainingCheckpoint.List(run).Select(Path.GetFileName));

        double[] secondHalf;
        {
            var (model, examples) = Setup(); // fresh adapters: everything trained must come from the checkpoint
            using (model)
                secondHalf = new SftTrainer(model.Network, Options).Run(examples, cancellation: cancel,
                    checkpoints: new CheckpointOptions(run, EverySteps: 5, KeepLast: 2),
                    resumeFrom: Path.Combine(run, "checkpoint-10")).Steps.Select(s => s.Loss).ToArray();
        }
        Assert.Equal(straight, firstHalf.Concat(secondHalf).ToArray());
        Assert.Equal(["checkpoint-15", "checkpoint-20"], TrainingCheckpoint.List(run).Select(Path.GetFileName)); // keep last 2
        Assert.Empty(Directory.GetDirectories(run, "*.tmp"));
    }

    /// <summary>
    /// Cancelling between checkpoints (Ctrl+C, SIGTERM) saves one at the last finished step, which resumes exactly; the
    /// resumed run's time left comes from its own steps, not from all steps since step 1 (which it did not take).
    /// </summary>
    [Fact]
    public void Cancelling_saves_a_checkpoint_of_the_last_step_that_resumes_exactly_with_time_left_from_its_own_steps()
    {
        var cancel = TestContext.Current.CancellationToken;
        double[] straight;
        {
            var (model, examples) = Setup();
            using (model) straight = new SftTrainer(model.Network, Options).Run(examples, cancellation: cancel).Steps.Select(s => s.Loss).ToArray();
        }

        string run = Path.Combine(runs, "cancelled");
        var checkpoints = new CheckpointOptions(run, EverySteps: 5, KeepLast: 5);
        {
            var (model, examples) = Setup();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            using (model)
            {
                var result = new SftTrainer(model.Network, Options).Run(examples, new Stop(e => { if (e.Step == 7) stop.Cancel(); }), stop.Token, checkpoints);
                Assert.True(result.Cancelled);
                Assert.Equal(Path.Combine(run, "checkpoint-7"), result.Checkpoint);
            }
        }
        Assert.Equal(["checkpoint-5", "checkpoint-7"], TrainingCheckpoint.List(run).Select(Path.GetFileName));

        {
            var (model, examples) = Setup();
            using (model)
            {
                var resumed = new SftTrainer(model.Network, Options).Run(examples, cancellation: cancel, checkpoints: checkpoints,
                    resumeFrom: Path.Combine(run, "checkpoint-7")).Steps;
                Assert.Equal(straight[7..], resumed.Select(s => s.Loss).ToArray());
                // Step 8 is this process's first: time left is its whole elapsed time per step, times the 12 steps left.
                var first = resumed[0];
                Assert.Equal(8, first.Step);
                Assert.InRange(first.RemainingSeconds, 0.9 * 12 * first.ElapsedSeconds, 12 * first.ElapsedSeconds);
            }
        }
    }

    [Fact]
    public void Checkpoints_carry_the_model_files_the_caller_writes()
    {
        var (model, examples) = Setup();
        using (model)
        {
            var config = new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1 };
            string run = Path.Combine(runs, "adapter");
            new SftTrainer(model.Network, Options with { MaxSteps = 4 }).Run(examples, cancellation: TestContext.Current.CancellationToken,
                checkpoints: new CheckpointOptions(run, EverySteps: 2, KeepLast: 5,
                    WriteModelFiles: folder => PeftAdapter.Save(model.Network, config, folder, model.Folder)));
            string last = TrainingCheckpoint.List(run)[^1];
            Assert.Equal(config with { TargetModules = LoraConfig.AllLinear }, PeftAdapter.ReadConfig(last) with { TargetModules = LoraConfig.AllLinear });
            Assert.True(File.Exists(Path.Combine(last, PeftAdapter.WeightsFile)));
        }
    }

    [Fact]
    public void Resuming_from_a_folder_that_is_no_checkpoint_is_an_error()
    {
        var (model, examples) = Setup();
        using (model)
        {
            var error = Assert.Throws<StyleStudio.Training.Checkpoints.ModelLoadException>(() =>
                new SftTrainer(model.Network, Options).Run(examples, cancellation: TestContext.Current.CancellationToken, resumeFrom: runs));
            Assert.Contains("not a training checkpoint", error.Message);
        }
    }

    sealed class Stop(Action<TrainingEvent> report) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent value) => report(value);
    }
}
