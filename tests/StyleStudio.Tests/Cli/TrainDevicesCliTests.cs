using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Cli;

/// <summary>
/// <c>stylestudio train --devices cuda:0,cuda:1</c> as typed on a machine without two GPUs: refused with the reason,
/// before anything is trained or written. (Data-parallel training itself: DataParallelTests on the CPU,
/// CudaDataParallelTests on GPUs.)
/// </summary>
public sealed class TrainDevicesCliTests : IDisposable
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-cli-devices-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string Output => Path.Combine(folder, "run");

    string WriteRun()
    {
        File.WriteAllLines(Path.Combine(folder, "data.jsonl"),
        [
            """{"instruction": "Rewrite casually", "input": "The meeting has been cancelled.", "output": "meeting's off!"}""",
            """{"instruction": "Rewrite casually", "input": "I am unable to attend.", "output": "can't make it"}""",
        ]);
        string config = Path.Combine(folder, "run.yaml");
        File.WriteAllText(config, $"""
            model_name_or_path: {Fixtures.Model("qwen2")}
            dataset: {Path.Combine(folder, "data.jsonl")}
            output_dir: {Output}
            lora_rank: 4
            max_steps: 2
            """);
        return config;
    }

    [Fact]
    public void Two_gpus_asked_for_where_they_are_not_is_an_error_that_says_so()
    {
        using var train = new CliProcess("train", "--config", WriteRun(), "--devices", "cuda:0,cuda:1");
        Assert.Equal(1, train.WaitForExit(Limit));
        // Without CUDA: the CUDA error; on a machine with one GPU: which GPU is missing.
        Assert.True(train.Stderr.Contains("CUDA was requested but is not available") || train.Stderr.Contains("cuda:1 is not present"),
            train.Stdout + train.Stderr);
        Assert.Empty(TrainingOutput.Results(Output));
    }

    [Fact]
    public void A_device_that_is_not_a_gpu_is_refused_by_its_key()
    {
        using var train = new CliProcess("train", "--config", WriteRun(), "--devices", "cuda:0,gpu1");
        Assert.Equal(1, train.WaitForExit(Limit));
        Assert.Contains("devices: 'gpu1' is not a GPU; write them as cuda:0,cuda:1", train.Stderr);
    }
}
