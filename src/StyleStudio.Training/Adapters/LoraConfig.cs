namespace StyleStudio.Training.Adapters;

/// <summary>
/// Low-rank adapter settings, as in PEFT's LoraConfig. Defaults follow LLaMA-Factory: rank 8, alpha 16, no dropout, all
/// linear layers of every decoder block.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>Every linear projection of a decoder block, by Hugging Face name (a model has gate_proj and up_proj, or
    /// GLM's fused gate_up_proj).</summary>
    public static readonly IReadOnlyList<string> AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "gate_up_proj", "down_proj"];

    /// <summary>Whether <paramref name="projection"/> belongs to the MLP (else to attention).</summary>
    public static bool IsMlp(string projection) => projection is "gate_proj" or "up_proj" or "gate_up_proj" or "down_proj";

    /// <summary>Rank r of A [r, in] and B [out, r]. Defaults to 8.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>Alpha; the update is scaled by alpha / r (alpha / √r with rsLoRA). Defaults to 16.</summary>
    public double Alpha { get; init; } = 16;

    /// <summary>Dropout on the adapter's input while training. Defaults to 0.</summary>
    public double Dropout { get; init; }

    /// <summary>Projection names to adapt, or ["all"]. Defaults to every linear projection.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = AllLinear;

    /// <summary>Rank-stabilized scaling alpha / √r. Defaults to false.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>DoRA: learn a per-output magnitude and adapt only the direction of W. Defaults to false.</summary>
    public bool UseDora { get; init; }

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>The concrete projection names this config adapts ("all" and "all-linear" expand).</summary>
    public IReadOnlyList<string> ResolvedTargets =>
        TargetModules.Any(t => t is "all" or "all-linear") ? AllLinear : TargetModules;

    public void Validate()
    {
        if (Rank < 1) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "LoRA rank must be at least 1");
        if (Alpha <= 0) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "LoRA alpha must be positive");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "LoRA dropout must be in [0, 1)");
        if (TargetModules.Count == 0) throw new ArgumentException("name at least one target module", nameof(TargetModules));
        var unknown = ResolvedTargets.Where(t => !AllLinear.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown target module(s) {string.Join(", ", unknown)}; choose from {string.Join(", ", AllLinear)} or all", nameof(TargetModules));
    }
}
