using StyleStudio.Training;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Support;

/// <summary>
/// The smallest style mapping the tiny fixture model can learn (three formal → casual pairs, qwen template), and the
/// options that make a learning test of it fast: a precision or adapter path that works drops the loss below a third.
/// </summary>
static class TinyStyleRun
{
    public static readonly TrainingOptions Options = new() { LearningRate = 1e-2, Epochs = 40, BatchSize = 3, GradientAccumulation = 1, WarmupSteps = 3 };

    public static List<EncodedExample> Examples(PretrainedModel model)
    {
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer());
        return new[] { ("formal: Good morning.", "morning!"), ("formal: Thank you kindly.", "thx!"), ("formal: I decline.", "nah") }
            .Select(p => encoder.Encode(new Conversation([new Turn(p.Item1, p.Item2)]))).ToList();
    }

    public static void AssertLearned(TrainingResult result) =>
        Assert.True(result.Steps[^1].Loss < result.Steps[0].Loss / 3, $"loss {result.Steps[0].Loss:F3} → {result.Steps[^1].Loss:F3}");
}
