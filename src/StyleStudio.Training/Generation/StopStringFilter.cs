namespace StyleStudio.Training.Generation;

/// <summary>
/// Cuts streamed text at the first stop string. Text that could still grow into a stop string is held back until it
/// cannot, so a caller never sees part of a stop string.
/// </summary>
public sealed class StopStringFilter(IReadOnlyList<string> stopStrings)
{
    string pending = "";
    readonly System.Text.StringBuilder emitted = new();

    public string Emitted => emitted.ToString();

    /// <summary>Returns the text safe to show now, and whether a stop string was found.</summary>
    public (string Text, bool Stopped) Push(string delta, bool final = false)
    {
        pending += delta;
        if (stopStrings.Count == 0)
            return Release(pending.Length, stopped: false);

        int cut = stopStrings.Select(s => pending.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (cut >= 0)
            return Release(cut, stopped: true);
        if (final)
            return Release(pending.Length, stopped: false);
        int hold = stopStrings.Max(s => LongestSuffixThatPrefixes(pending, s));
        return Release(pending.Length - hold, stopped: false);
    }

    (string, bool) Release(int length, bool stopped)
    {
        var text = pending[..length];
        pending = stopped ? "" : pending[length..];
        emitted.Append(text);
        return (text, stopped);
    }

    static int LongestSuffixThatPrefixes(string text, string stop)
    {
        for (int length = Math.Min(text.Length, stop.Length - 1); length > 0; length--)
            if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                return length;
        return 0;
    }
}
