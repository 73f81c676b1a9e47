namespace StyleStudio.Serving;

/// <summary>How the studio serves models, bound from <c>Studio:Serving</c>.</summary>
public sealed class ServingOptions
{
    public const string Section = "Studio:Serving";

    /// <summary>Requests decoded together per base model (KV cache slots). Defaults to 32 on a GPU, 8 on the CPU.</summary>
    public int? Rows { get; set; }

    /// <summary>Prompt plus answer tokens one request may hold (capped at the model's context). Defaults to 2048.</summary>
    public int SlotTokens { get; set; } = 2048;

    /// <summary>Base models kept loaded at once; loading one more unloads the least recently used idle one. Defaults to 2.</summary>
    public int MaxLoadedBases { get; set; } = 2;

    /// <summary>Replay the batched decode step as CUDA graphs on a GPU. Defaults to true.</summary>
    public bool UseCudaGraphs { get; set; } = true;

    /// <summary>Queue each decode step before the one before it is read, so the host's work per token overlaps the
    /// device's. Defaults to on for a GPU, off for the CPU (where it would only hand each token out a step later).</summary>
    public bool? PipelineSteps { get; set; }
}
