using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// Builds the additive attention mask for one forward: causal over cache slots, minus padded keys, minus keys beyond a
/// sliding window. Masked entries get the dtype's lowest finite value rather than -inf, as transformers does, so rows of
/// padding queries stay finite instead of turning into NaN.
/// </summary>
public static class AttentionMask
{
    /// <summary>What attention needs: an explicit mask, or nothing plus whether SDPA's causal flag covers it.</summary>
    public sealed record Plan(Tensor? Mask, bool Causal);

    /// <param name="padding">[B, S] with 1 for real tokens and 0 for padding, over cached + new positions; null = none.</param>
    /// <param name="past">Cache slots filled before this forward.</param>
    /// <param name="steps">New positions in this forward (T); S = past + steps.</param>
    public static Plan Build(Tensor? padding, long past, long steps, int? slidingWindow, ScalarType dtype, Device device)
    {
        long total = past + steps;
        bool windowMatters = slidingWindow is { } w && total > w;
        bool anyPadding = padding is not null && padding.min().item<long>() == 0;
        if (!anyPadding && !windowMatters)
        {
            if (steps == 1) return new Plan(null, false);         // one new token sees every cached key
            if (past == 0) return new Plan(null, true);           // plain causal prefill
        }

        using var scope = NewDisposeScope();
        var queries = arange(past, total, ScalarType.Int64, device).unsqueeze(1); // [T, 1]
        var keys = arange(0, total, ScalarType.Int64, device).unsqueeze(0);        // [1, S]
        var visible = keys <= queries;                                              // [T, S]
        if (windowMatters)
            visible = visible.logical_and(queries - keys < slidingWindow!.Value);
        var allowed = visible.unsqueeze(0).unsqueeze(0);                            // [1, 1, T, S]
        if (anyPadding)
            allowed = allowed.logical_and(padding!.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1)); // [B, 1, T, S]
        var mask = zeros(allowed.shape, dtype, device).masked_fill(allowed.logical_not(), MinValue(dtype));
        return new Plan(mask.MoveToOuterDisposeScope(), false);
    }

    /// <summary>
    /// Block-diagonal causal mask for packed rows ([B, T] segment ids, 0 = padding): a token sees earlier tokens of its own
    /// sequence only, so packed examples train exactly as if each were alone in its row.
    /// </summary>
    public static Plan BuildPacked(Tensor segments, int? slidingWindow, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        long steps = segments.shape[1];
        var device = segments.device;
        var queries = arange(steps, ScalarType.Int64, device).unsqueeze(1);
        var keys = arange(steps, ScalarType.Int64, device).unsqueeze(0);
        var visible = keys <= queries;
        if (slidingWindow is { } window && steps > window)
            visible = visible.logical_and(queries - keys < window);
        var sameSegment = segments.unsqueeze(2) == segments.unsqueeze(1);                 // [B, T, T]
        var allowed = sameSegment.logical_and(segments.unsqueeze(1) != 0).logical_and(visible.unsqueeze(0)).unsqueeze(1);
        var mask = zeros(allowed.shape, dtype, device).masked_fill(allowed.logical_not(), MinValue(dtype));
        return new Plan(mask.MoveToOuterDisposeScope(), false);
    }

    /// <summary>The lowest finite value of a dtype, which masked attention scores get.</summary>
    public static double MinValue(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float16 => -65504.0,
        ScalarType.Float64 => double.MinValue,
        _ => float.MinValue,
    };
}
