using System.Globalization;
using System.Text.Json;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>Where a run stands: enough, with the weights and optimizer state beside it, to continue exactly.</summary>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="Epoch">The epoch in progress.</param>
/// <param name="GroupsDoneInEpoch">Optimizer steps already taken in that epoch (its shuffled order is reproduced from the seed).</param>
/// <param name="LossScaler">The fp16 loss scale; null when training without one.</param>
public sealed record TrainerPosition(int Step, int Epoch, int GroupsDoneInEpoch, LossScalerState? LossScaler = null);

/// <summary>
/// A checkpoint is one folder: trainable weights, AdamW state, the torch RNG state and the data position, plus whatever
/// model files the caller adds (a PEFT adapter). It is written under a temporary name and renamed, so a crash never
/// leaves a half-written checkpoint that resume would pick up.
/// </summary>
public static class TrainingCheckpoint
{
    const string Prefix = "checkpoint-";
    const string WeightsFile = "trainable.safetensors";
    const string OptimizerFile = "optimizer.safetensors";
    const string RngFile = "rng.safetensors";
    const string PositionFile = "trainer_state.json";
    public const string BestFolder = "best";

    public static string Save(CheckpointOptions options, CausalLM model, FlatAdamW optimizer, TrainerPosition position)
    {
        string saved = WriteAtomically(Path.Combine(options.Directory, Prefix + position.Step), options, model, optimizer, position);
        foreach (var old in List(options.Directory).SkipLast(options.KeepLast))
            Directory.Delete(old, recursive: true);
        return saved;
    }

    /// <summary>The best checkpoint so far (by validation loss) in <c>best/</c>, replaced each time validation improves.</summary>
    public static string SaveBest(CheckpointOptions options, CausalLM model, FlatAdamW optimizer, TrainerPosition position) =>
        WriteAtomically(Path.Combine(options.Directory, BestFolder), options, model, optimizer, position);

    static string WriteAtomically(string final, CheckpointOptions options, CausalLM model, FlatAdamW optimizer, TrainerPosition position)
    {
        string temp = final + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);

        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => (Tensor)p.parameter);
        SafetensorsWriter.Write(Path.Combine(temp, WeightsFile), trainable);
        optimizer.Save(Path.Combine(temp, OptimizerFile));
        using (var rng = get_rng_state())
            SafetensorsWriter.Write(Path.Combine(temp, RngFile), new Dictionary<string, Tensor> { ["cpu"] = rng });
        File.WriteAllText(Path.Combine(temp, PositionFile), JsonSerializer.Serialize(position));
        options.WriteModelFiles?.Invoke(temp);

        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        return final;
    }

    /// <summary>Restores weights, optimizer and RNG from <paramref name="folder"/>; returns where to continue.</summary>
    public static TrainerPosition Load(string folder, CausalLM model, FlatAdamW optimizer)
    {
        string positionPath = Path.Combine(folder, PositionFile);
        if (!File.Exists(positionPath))
            throw new ModelLoadException(folder, PositionFile, "not a training checkpoint (no trainer_state.json)");
        using (var weights = new SafetensorsFile(Path.Combine(folder, WeightsFile)))
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters().Where(p => p.parameter.requires_grad))
            {
                if (!weights.Entries.ContainsKey(name))
                    throw new ModelLoadException(weights.Path, name, "the checkpoint lacks this trainable tensor (different adapter settings?)");
                weights.ReadInto(name, parameter);
            }
        }
        optimizer.Load(Path.Combine(folder, OptimizerFile));
        using (var rngFile = new SafetensorsFile(Path.Combine(folder, RngFile)))
        {
            var rng = empty(rngFile.Entries["cpu"].Shape, ScalarType.Byte);
            rngFile.ReadInto("cpu", rng);
            set_rng_state(rng);
        }
        return JsonSerializer.Deserialize<TrainerPosition>(File.ReadAllText(positionPath))
            ?? throw new ModelLoadException(positionPath, null, "empty");
    }

    /// <summary>Complete checkpoints of a run folder, oldest first.</summary>
    public static IReadOnlyList<string> List(string runDirectory) =>
        !Directory.Exists(runDirectory) ? []
        : Directory.GetDirectories(runDirectory, Prefix + "*")
            .Where(d => int.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .OrderBy(StepOf)
            .ToList();

    /// <summary>The optimizer steps a checkpoint folder (<c>checkpoint-STEP</c>) was saved after.</summary>
    public static int StepOf(string checkpointFolder) =>
        int.Parse(Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpointFolder))[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture);
}
