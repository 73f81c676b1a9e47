namespace StyleStudio.Data.Pairs;

/// <summary>
/// Where the target of a source text should lie when both corpora follow one document order: the path through the
/// confident pairs that keeps their order (the longest increasing run of targets, so a stray match off the path is
/// ignored), interpolated between its anchors. Unrelated lines slipped in on either side shift the path locally, which a
/// single diagonal would miss.
/// </summary>
sealed class DocumentPath
{
    readonly List<(int Source, int Target)> anchors;

    DocumentPath(List<(int Source, int Target)> anchors) => this.anchors = anchors;

    /// <summary>How many confident pairs the path goes through.</summary>
    public int Length => anchors.Count;

    public static DocumentPath Through(IEnumerable<MinedPair> confident)
    {
        var pairs = confident.Select(p => (p.Source, p.Target)).OrderBy(p => p.Source).ToList();
        // Longest increasing subsequence of targets (patience sorting with back links), O(n log n).
        var tails = new List<int>();
        var previous = new int[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            // The first tail whose target is not below this one's.
            int low = 0, high = tails.Count;
            while (low < high)
            {
                int middle = (low + high) / 2;
                if (pairs[tails[middle]].Target < pairs[i].Target) low = middle + 1;
                else high = middle;
            }
            int at = low;
            previous[i] = at > 0 ? tails[at - 1] : -1;
            if (at == tails.Count) tails.Add(i);
            else tails[at] = i;
        }
        var path = new List<(int, int)>();
        for (int i = tails.Count > 0 ? tails[^1] : -1; i >= 0; i = previous[i]) path.Add(pairs[i]);
        path.Reverse();
        return new DocumentPath(path);
    }

    /// <summary>1 when <paramref name="target"/> lies where the path puts the partner of <paramref name="source"/>, falling
    /// to 0 within a few percent of the corpus.</summary>
    public double Closeness(int source, int target, int targets)
    {
        if (anchors.Count == 0) return 0;
        double expected = Expected(source);
        double tolerance = Math.Max(2, 0.02 * targets);
        double distance = Math.Abs(target - expected) / tolerance;
        return Math.Exp(-distance * distance);
    }

    double Expected(int source)
    {
        int after = anchors.FindIndex(a => a.Source >= source);
        if (after == 0) return anchors[0].Target - (anchors[0].Source - source);
        if (after < 0) return anchors[^1].Target + (source - anchors[^1].Source);
        var (s0, t0) = anchors[after - 1];
        var (s1, t1) = anchors[after];
        return s1 == s0 ? t0 : t0 + (double)(source - s0) * (t1 - t0) / (s1 - s0);
    }
}
