namespace StyleStudio.Training.Trainer;

/// <summary>The long-context memory mode's settings (<see cref="RunRequest.OffloadCheckpoints"/>).</summary>
public static class LongContext
{
    /// <summary>
    /// Tokens per MLP slice: at Qwen2.5-7B's shape a slice's intermediate activations take ~1.5 GB, and its matrix
    /// products stay large enough to run at full speed.
    /// </summary>
    public const long MlpSliceTokens = 8192;
}
