namespace StyleStudio.Training.Generation;

/// <summary>Decoding settings, with Hugging Face generate() semantics for each knob.</summary>
public sealed record SamplingOptions
{
    /// <summary>Tokens to generate at most. Defaults to 256.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>End-of-sequence tokens are suppressed until this many tokens exist. Defaults to 0.</summary>
    public int MinNewTokens { get; init; }

    /// <summary>Softmax temperature; 0 means greedy (argmax). Defaults to 1.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches this mass; 1 disables. Defaults to 1.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens; 0 disables. Defaults to 0.</summary>
    public int TopK { get; init; }

    /// <summary>CTRL-style penalty on every token already in prompt or output; 1 disables. Defaults to 1.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Seed for sampling; equal seeds give equal outputs on the same device. Defaults to a random seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Generation stops before any of these strings; the string itself is not returned. Defaults to none.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    public bool Greedy => Temperature <= 0;

    /// <summary>Checks ranges, naming the offending setting.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "max new tokens must be at least 1");
        if (MinNewTokens < 0 || MinNewTokens > MaxNewTokens) throw new ArgumentOutOfRangeException(nameof(MinNewTokens), MinNewTokens, "min new tokens must be between 0 and max new tokens");
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be 0 (greedy) or positive");
        if (TopP is <= 0 or > 1 || double.IsNaN(TopP)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1]");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be 0 (off) or positive");
        if (RepetitionPenalty <= 0 || double.IsNaN(RepetitionPenalty)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "repetition penalty must be positive");
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty", nameof(StopStrings));
    }
}
