using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Trainer;

public class LearningRateScheduleTests
{
    [Theory]
    [InlineData(ScheduleKind.Cosine, 0, 0.0)]     // warmup starts at 0
    [InlineData(ScheduleKind.Cosine, 5, 0.5)]     // halfway through warmup
    [InlineData(ScheduleKind.Cosine, 10, 1.0)]    // peak
    [InlineData(ScheduleKind.Cosine, 60, 0.5)]    // halfway through the cosine
    [InlineData(ScheduleKind.Cosine, 110, 0.0)]
    [InlineData(ScheduleKind.Linear, 60, 0.5)]
    [InlineData(ScheduleKind.Linear, 110, 0.0)]
    [InlineData(ScheduleKind.Constant, 90, 1.0)]
    public void Matches_transformers_schedules(ScheduleKind kind, int step, double expectedFraction)
    {
        Assert.Equal(expectedFraction * 2e-4, LearningRateSchedule.At(step, totalSteps: 110, warmupSteps: 10, peak: 2e-4, kind), 12);
    }
}
