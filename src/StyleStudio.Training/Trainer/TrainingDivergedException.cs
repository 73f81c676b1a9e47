namespace StyleStudio.Training.Trainer;

/// <summary>The loss or the gradients became NaN or infinite; training stops instead of silently wrecking the weights.</summary>
public sealed class TrainingDivergedException(int step, string what)
    : Exception($"training diverged at step {step}: {what} is not finite. Try a lower learning rate, a smaller " +
                "max grad norm, bf16 instead of fp16, or check the data for empty answers.")
{
    public int Step { get; } = step;
}
