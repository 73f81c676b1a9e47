namespace StyleStudio.Training.Trainer;

/// <summary>
/// Learning rate at an optimizer step: linear warmup from 0, then cosine to 0, linear to 0, or constant — the curves of
/// transformers' get_*_schedule_with_warmup.
/// </summary>
public static class LearningRateSchedule
{
    /// <param name="step">Optimizer steps already taken (0 for the first step).</param>
    public static double At(int step, int totalSteps, int warmupSteps, double peak, ScheduleKind kind)
    {
        if (step < warmupSteps) return peak * step / Math.Max(1, warmupSteps);
        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return kind switch
        {
            ScheduleKind.Cosine => peak * Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            ScheduleKind.Linear => peak * Math.Max(0, 1 - progress),
            _ => peak,
        };
    }
}
