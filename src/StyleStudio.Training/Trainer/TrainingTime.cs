namespace StyleStudio.Training.Trainer;

/// <summary>How long a run's training takes from the tokens it reads and a throughput.</summary>
public static class TrainingTime
{
    /// <summary>Rough effective compute of a device when no run has measured one: a fraction of peak, as training small
    /// batches reaches. CPU: a few cores with AVX2; GPU: a current data-centre card in bf16.</summary>
    public const double RoughCpuFlops = 50e9, RoughGpuFlops = 150e12;

    /// <summary>Tokens trained: the dataset's tokens per epoch × epochs, capped at max_steps' share.</summary>
    public static double Tokens(long tokensPerEpoch, int stepsPerEpoch, RunRequest settings)
    {
        double tokens = tokensPerEpoch * settings.NumTrainEpochs;
        if (settings.MaxSteps is { } max && stepsPerEpoch > 0) tokens = Math.Min(tokens, (double)tokensPerEpoch / stepsPerEpoch * max);
        return tokens;
    }

    /// <summary>
    /// Rough tokens per second from compute alone: a training token costs about 6 FLOPs per parameter (forward 2, backward
    /// 4; a frozen base skips weight gradients, about 4 in all), plus a forward again with gradient checkpointing.
    /// </summary>
    public static double RoughTokensPerSecond(long parameters, RunRequest settings, bool gpu)
    {
        double perToken = (settings.TrainsAdapters ? 4 : 6) + (settings.GradientCheckpointing ? 2 : 0);
        return (gpu ? RoughGpuFlops : RoughCpuFlops) / (perToken * Math.Max(1, parameters));
    }
}
