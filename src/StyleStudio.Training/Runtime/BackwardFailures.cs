using static TorchSharp.torch;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// Turns an exception inside a custom function's backward into an ordinary one on the thread that called
/// <c>backward()</c>. libtorch calls those backwards from its own threads through a native callback, where an exception
/// would end the process — the whole studio, when a run's sequences are too long for the card and the recomputation
/// runs out of memory. So the backward's failure is kept, its gradients come back undefined (libtorch treats them as
/// zeros, and the rest of the backward finishes), and <see cref="ThrowIfAny"/> after <c>backward()</c> raises it:
/// the run fails with the device's own message and no optimizer step sees the incomplete gradients.
/// </summary>
public static class BackwardFailures
{
    // One slot for the process: callbacks run on libtorch's threads, not the caller's. Runs in one process train one
    // at a time per device; a failure seen by another run's check would fail that run instead, never pass silently.
    static Exception? pending;

    /// <summary>Runs a backward body; on failure keeps the exception and returns <paramref name="inputs"/> undefined gradients.</summary>
    public static List<Tensor> Guard(Tensor gradOutput, int inputs, Func<List<Tensor>> backward)
    {
        try
        {
            return backward();
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref pending, e, null);
            return GradientHandoff.Return(gradOutput, new Tensor?[inputs]);
        }
    }

    /// <summary>Rethrows (and clears) a failure kept from the last backward.</summary>
    public static void ThrowIfAny()
    {
        if (Interlocked.Exchange(ref pending, null) is { } failure)
            throw new InvalidOperationException(failure.Message, failure);
    }
}
