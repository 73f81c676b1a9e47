namespace StyleStudio.Training.Models;

/// <summary>Rotary embedding settings: base frequency and the optional frequency scaling of long-context checkpoints.</summary>
/// <param name="Theta">Base of the inverse frequencies (<c>rope_theta</c>).</param>
/// <param name="Type"><c>default</c>, <c>linear</c> or <c>llama3</c>.</param>
/// <param name="Factor">Scaling factor (linear, llama3).</param>
/// <param name="LowFreqFactor">llama3 only.</param>
/// <param name="HighFreqFactor">llama3 only.</param>
/// <param name="OriginalMaxPositions">llama3 only: the context the base model was trained with.</param>
public sealed record RopeScaling(double Theta, string Type = "default", double Factor = 1, double LowFreqFactor = 1,
    double HighFreqFactor = 4, int OriginalMaxPositions = 8192)
{
    public static readonly string[] SupportedTypes = ["default", "linear", "llama3"];
}
