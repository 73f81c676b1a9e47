using StyleStudio.Training.Runtime;
using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Training;

namespace StyleStudio.Tests.Support;

/// <summary>A LoRA run of the tiny qwen2 on three formal → casual pairs, trained to completion in a studio (CPU, seconds).</summary>
static class FinishedRun
{
    public static async Task<RunRecord> TrainAsync(StudioServer studio)
    {
        var store = studio.Services.GetRequiredService<DataStore>();
        store.Create("口语", [
            new DatasetRow { Instruction = "formal: Good morning.", Output = "morning!" },
            new DatasetRow { Instruction = "formal: Thank you kindly.", Output = "thx!" },
            new DatasetRow { Instruction = "formal: I decline.", Output = "nah" },
        ], "test");
        var run = studio.Services.GetRequiredService<TrainingRuns>().Start("口语 r8", "口语", "qwen2", new RunRequest
        {
            LearningRate = 1e-2, NumTrainEpochs = 6, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 1, Device = DevicePreference.Cpu, Precision = ComputePrecision.Float32,
        });
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (store.Runs.Get(run.Id).Status is RunStatus.Queued or RunStatus.Running && DateTime.UtcNow < deadline)
            await Task.Delay(200, TestContext.Current.CancellationToken);
        var finished = store.Runs.Get(run.Id);
        Assert.Equal(RunStatus.Completed, finished.Status);
        return finished;
    }
}
