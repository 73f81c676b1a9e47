using System.Collections.Concurrent;
using StyleStudio.Application.Datasets;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Application.Runs;

/// <summary>A run's estimate before it starts: memory (see <see cref="MemoryEstimate"/>) and training time.</summary>
/// <param name="Time">Null when the dataset's tokens could not be counted (no tokenizer, say).</param>
/// <param name="TokensPerEpoch">Tokens the trainer reads per epoch (train split, after cutoff).</param>
/// <param name="ThroughputMeasured">True when the throughput comes from an earlier run of this model on this device
/// setting; false when it is the rough per-device figure of <see cref="TrainingTime"/>.</param>
/// <param name="DeviceMemoryBytes">Memory of the device the run would use (GPU, or available to the process on CPU).</param>
/// <param name="Gpus">GPUs the run trains on at once (data parallel): the memory is each one's, the throughput all of theirs.</param>
public sealed record RunForecast(MemoryEstimate Memory, TimeSpan? Time, long TokensPerEpoch, double TokensPerSecond,
    bool ThroughputMeasured, long? DeviceMemoryBytes, int Gpus = 1)
{
    public RunEstimate ToRecord() => RunEstimate.From(Memory, Time?.TotalSeconds, TokensPerSecond, ThroughputMeasured);
}

/// <summary>
/// Estimates for the training form and for the record of a started run: reads the model's shape and LoRA-able
/// projections, counts the dataset's tokens through the run's template and cutoff (once per dataset version, model,
/// template and cutoff), and takes the throughput of the latest earlier run of the model on the same device setting.
/// </summary>
public sealed class TrainingEstimates(DataStore store, ModelCatalog models, ComputeDevice studioDevice)
{
    /// <summary>Token lengths of a dataset version's examples, encoded as a run would encode them.</summary>
    sealed record TokenCounts(int[] Lengths);

    readonly ConcurrentDictionary<string, (ModelConfig Config, IReadOnlyList<TargetModule> Targets)> shapes = new();
    readonly ConcurrentDictionary<(int Dataset, int Version, string Model, string Template, int Cutoff), TokenCounts> counts = new();

    /// <summary>The projections of <paramref name="model"/> that LoRA can target, from its weights.</summary>
    public IReadOnlyList<TargetModule> Targets(string model) => Shape(model).Targets;

    /// <summary>The model's max_position_embeddings (a preset's cutoff is clamped to it).</summary>
    public int MaxPositions(string model) => Shape(model).Config.MaxPositionEmbeddings;

    /// <summary>The estimate for a run of <paramref name="settings"/> on <paramref name="datasetName"/>'s current version.</summary>
    public RunForecast Forecast(string datasetName, string model, RunRequest settings)
    {
        var config = Shape(model).Config;
        bool gpu = settings.Devices.Count > 0
            || settings.Device switch { DevicePreference.Cpu => false, DevicePreference.Cuda => true, _ => studioDevice.IsCuda };
        var train = TrainLengths(store.Find(datasetName), model, settings);
        int sequence = settings.Packing || train is not { Count: > 0 } ? settings.CutoffLen : train.Max();

        var measure = gpu ? MemoryMeasure.GpuMemory : MemoryMeasure.ProcessMemory;
        // CPU: the figure is the whole process's resident memory, so what it holds now is the baseline.
        long overhead = gpu ? MemoryEstimate.CudaContextBytes : Environment.WorkingSet + MemoryEstimate.CpuRuntimeBytes;
        var memory = MemoryEstimate.For(config, settings, new MemoryEstimateInput(sequence, measure, overhead));

        // Data parallel: every GPU trains its share of a step's micro-batches, each with the memory of one.
        int gpus = Math.Max(1, settings.Devices.Count);
        var (tokensPerSecond, measured) = Throughput(model, settings) is { } seen
            ? (seen, true)
            : (TrainingTime.RoughTokensPerSecond(MemoryEstimate.Parameters(config), settings, gpu) * gpus, false);
        long tokensPerEpoch = train?.Sum(l => (long)l) ?? 0;
        TimeSpan? time = null;
        if (train is { Count: > 0 })
        {
            int rows = settings.Packing ? (int)Math.Ceiling(tokensPerEpoch / (double)settings.CutoffLen) : train.Count;
            int stepsPerEpoch = (int)Math.Ceiling(Math.Ceiling(rows / (double)settings.PerDeviceTrainBatchSize) / (settings.GradientAccumulationSteps * gpus));
            time = TimeSpan.FromSeconds(TrainingTime.Tokens(tokensPerEpoch, stepsPerEpoch, settings) / tokensPerSecond);
        }
        long? deviceMemory = gpu == studioDevice.IsCuda ? studioDevice.TotalMemoryBytes : null;
        return new RunForecast(memory, time, tokensPerEpoch, tokensPerSecond, measured, deviceMemory, gpus);
    }

    (ModelConfig Config, IReadOnlyList<TargetModule> Targets) Shape(string model) =>
        shapes.GetOrAdd(models.Path(model), path => (ModelConfig.Load(path), LoraTargets.Of(path)));

    /// <summary>
    /// Encoded lengths of the examples the run trains on (its validation share split off as the trainer splits it); null
    /// when they cannot be counted: no tokenizer, an unknown template, a validation size the trainer would refuse. The
    /// form still shows the memory estimate then, from cutoff_len.
    /// </summary>
    IReadOnlyList<int>? TrainLengths(DatasetSummary dataset, string model, RunRequest settings)
    {
        var key = (dataset.Id, dataset.Version, models.Path(model), settings.Template, settings.CutoffLen);
        try
        {
            var lengths = counts.GetOrAdd(key, _ =>
            {
                var encoder = new ExampleEncoder(PromptTemplates.Get(settings.Template), models.Tokenizer(model), settings.CutoffLen);
                return new TokenCounts(store.Rows(dataset.Id, dataset.Version).Select(r => encoder.Encode(r.ToConversation()).Length).ToArray());
            }).Lengths;
            return DatasetSplit.Split(lengths, settings.ValSize, settings.Seed).Train;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or ModelLoadException)
        {
            return null;
        }
    }

    /// <summary>Tokens per second (on all its GPUs) of the latest run of <paramref name="model"/> with the same device
    /// setting, number of GPUs and method.</summary>
    double? Throughput(string model, RunRequest settings)
    {
        foreach (var run in store.Runs.All().Where(r => r.Model == model && r.Settings.Device == settings.Device
                     && Math.Max(1, r.Settings.Devices.Count) == Math.Max(1, settings.Devices.Count)
                     && r.Settings.FineTuning == settings.FineTuning && r.Settings.QuantizationBit == settings.QuantizationBit))
            if (store.Runs.Metrics(run.Id) is [.., var last] && last.TokensPerSecond > 0)
                return last.TokensPerSecond;
        return null;
    }
}
