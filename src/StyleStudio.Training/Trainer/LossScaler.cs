namespace StyleStudio.Training.Trainer;

/// <summary>Where a loss scaler stands, saved in checkpoints so a resumed fp16 run scales as the original would have.</summary>
public sealed record LossScalerState(double Scale, int GoodSteps);

/// <summary>
/// Dynamic loss scaling for fp16 training (as torch.amp.GradScaler): the loss is multiplied by a large factor so small
/// gradients survive fp16's narrow range; gradients are divided back before clipping. A step whose gradients overflowed
/// is skipped and the scale halved (the optimizer divides the gradients back by <see cref="Scale"/>); after <see cref="GrowthInterval"/> good steps in a row it doubles.
/// </summary>
public sealed class LossScaler(LossScalerState? state = null, double initialScale = LossScaler.InitialScale)
{
    public const double InitialScale = 65536;
    public const int GrowthInterval = 2000;
    /// <summary>Below this the gradients overflow even unscaled: the run has diverged, not just met a spike.</summary>
    public const double MinimumScale = 1.0 / 65536;

    public double Scale { get; private set; } = state?.Scale ?? initialScale;
    int goodSteps = state?.GoodSteps ?? 0;

    public LossScalerState State => new(Scale, goodSteps);

    /// <summary>Records whether this step's gradients were finite; returns whether the optimizer may step.</summary>
    public bool Update(bool gradientsFinite)
    {
        if (!gradientsFinite)
        {
            Scale /= 2;
            goodSteps = 0;
            return false;
        }
        if (++goodSteps == GrowthInterval)
        {
            Scale *= 2;
            goodSteps = 0;
        }
        return true;
    }
}
