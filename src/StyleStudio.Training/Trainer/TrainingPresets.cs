using StyleStudio.Training.Adapters;

namespace StyleStudio.Training.Trainer;

/// <summary>A named set of hyperparameters that fills a run's settings; the method, dataset and model stay as chosen.</summary>
public enum TrainingPreset
{
    /// <summary>LLaMA-Factory's web UI defaults (LlamaBoard's train tab): lr 5e-5, 3 epochs, cutoff 2048, batch 2 × 8,
    /// cosine without warm-up, LoRA r8 α16 without dropout on all linear projections, no validation.</summary>
    LlamaFactoryDefaults,
    /// <summary>A fast look at whether the data teaches anything: one epoch of at most 30 steps on short rows, a higher lr.</summary>
    QuickTry,
    /// <summary>More epochs at a higher rank, with a validation split watched every 50 steps and early stopping.</summary>
    Quality,
}

/// <summary>Applies a <see cref="TrainingPreset"/> to settings the user can still edit afterwards.</summary>
public static class TrainingPresets
{
    /// <summary>
    /// Fills <paramref name="settings"/> with <paramref name="preset"/>'s values. cutoff_len is clamped to
    /// <paramref name="maxPositions"/> (the model's max_position_embeddings) when given.
    /// </summary>
    public static void Apply(TrainingPreset preset, TrainConfig settings, int? maxPositions = null)
    {
        int Cutoff(int wanted) => Math.Min(wanted, maxPositions ?? wanted);

        // What every preset resets, from LLaMA-Factory's defaults: a preset is a whole starting point, not a patch.
        settings.LearningRate = 5e-5;
        settings.NumTrainEpochs = 3;
        settings.CutoffLen = Cutoff(2048);
        settings.PerDeviceTrainBatchSize = 2;
        settings.GradientAccumulationSteps = 8;
        settings.LrSchedulerType = "cosine";
        settings.WarmupRatio = 0;
        settings.WarmupSteps = null;
        settings.LoraRank = 8;
        settings.LoraAlpha = 16;
        settings.LoraDropout = 0;
        settings.LoraTarget = LoraTargets.All;
        settings.ValSize = 0;
        settings.EvalSteps = 0;
        settings.EarlyStoppingPatience = null;
        settings.MaxSteps = null;
        settings.SaveSteps = 100;

        switch (preset)
        {
            case TrainingPreset.QuickTry:
                settings.LearningRate = 2e-4;
                settings.NumTrainEpochs = 1;
                settings.MaxSteps = 30;
                settings.CutoffLen = Cutoff(512);
                settings.GradientAccumulationSteps = 1;
                settings.SaveSteps = 30;
                break;
            case TrainingPreset.Quality:
                settings.LearningRate = 1e-4;
                settings.NumTrainEpochs = 5;
                settings.LoraRank = 32;
                settings.LoraAlpha = 64;
                settings.LoraDropout = 0.05;
                settings.WarmupRatio = 0.03;
                settings.ValSize = 0.1;
                settings.EvalSteps = 50;
                settings.EarlyStoppingPatience = 3;
                break;
        }
    }
}
