namespace StyleStudio.Training.Trainer;

/// <summary>Where and how often a run saves resumable checkpoints.</summary>
/// <param name="Directory">Run folder; checkpoints go to <c>checkpoint-STEP/</c> inside it.</param>
/// <param name="EverySteps">Save every this many optimizer steps (and always at the end).</param>
/// <param name="KeepLast">Older checkpoints beyond this many are deleted.</param>
/// <param name="WriteModelFiles">Writes what users load from a checkpoint (e.g. a PEFT adapter) into the given folder.</param>
public sealed record CheckpointOptions(string Directory, int EverySteps = 100, int KeepLast = 3, Action<string>? WriteModelFiles = null);
