namespace StyleStudio.Evaluation.Metrics;

/// <summary>A TER score (0–100+, lower is better) with the edits and the (mean) reference words behind it.</summary>
public sealed record TerScore(double Score, double Edits, double ReferenceLength);

/// <summary>
/// Translation edit rate as sacreBLEU 2.6 computes it (Snover et al. 2006; sacreBLEU's near-exact Tercom port): the
/// fewest word insertions, deletions, substitutions and block shifts turning the hypothesis into the closest reference,
/// over the mean reference length. Shifts are searched greedily with Tercom's heuristics and limits and the edit
/// distance is a diagonal beam, both exactly as sacreBLEU does them, so scores agree on every input rather than on
/// "sane" ones only. No .NET package computes TER.
/// </summary>
public static class Ter
{
    const int MaxShiftSize = 10, MaxShiftDistance = 50, BeamWidth = 25, MaxShiftCandidates = 1000;
    const long Infinity = 10_000_000_000_000_000;

    public static TerScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> referenceSets, TerOptions? options = null)
    {
        if (referenceSets.Any(set => set.Count != hypotheses.Count))
            throw new ArgumentException($"every reference set needs {hypotheses.Count} lines, one per hypothesis");
        double edits = 0, length = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var (e, l) = Statistics(hypotheses[i], referenceSets.Select(set => set[i]).ToList(), options ?? TerOptions.Default);
            edits += e;
            length += l;
        }
        return Score(edits, length);
    }

    public static TerScore Sentence(string hypothesis, IReadOnlyList<string> references, TerOptions? options = null)
    {
        var (edits, length) = Statistics(hypothesis, references, options ?? TerOptions.Default);
        return Score(edits, length);
    }

    static TerScore Score(double edits, double referenceLength) =>
        new(100 * (referenceLength > 0 ? edits / referenceLength : edits > 0 ? 1 : 0), edits, referenceLength);

    /// <summary>The fewest edits over the references, and the mean reference length.</summary>
    static (long Edits, double ReferenceLength) Statistics(string hypothesis, IReadOnlyList<string> references, TerOptions options)
    {
        var hypothesisWords = TercomTokenizer.Words(hypothesis, options);
        long best = long.MaxValue, lengths = 0;
        foreach (var reference in references)
        {
            var referenceWords = TercomTokenizer.Words(reference, options);
            var edits = Edits(hypothesisWords, referenceWords);
            lengths += referenceWords.Length;
            best = Math.Min(best, edits);
        }
        return (best, (double)lengths / references.Count);
    }

    static long Edits(string[] hypothesis, string[] reference)
    {
        if (reference.Length == 0) return hypothesis.Length;
        var distance = new BeamEditDistance(reference);
        int shifts = 0, checkedCandidates = 0;
        var words = hypothesis;
        while (true)
        {
            var (gain, shifted) = BestShift(words, reference, distance, ref checkedCandidates);
            if (checkedCandidates >= MaxShiftCandidates || gain <= 0) break;
            shifts++;
            words = shifted;
        }
        return shifts + distance.Compute(words).Distance;
    }

    /// <summary>The shift that lowers the edit distance most (ties: longer, earlier source, earlier target), as Tercom ranks them.</summary>
    static (long Gain, string[] Words) BestShift(string[] hypothesis, string[] reference, BeamEditDistance distance, ref int checkedCandidates)
    {
        var (before, trace) = distance.Compute(hypothesis);
        var (align, referenceErrors, hypothesisErrors) = Alignment(trace);
        (long Gain, int Length, int NegStart, int NegTarget, string[] Words)? best = null;
        foreach (var (startH, startR, length) in ShiftedPairs(hypothesis, reference))
        {
            // Only shift words that are wrong where they are, to a place where the reference is not yet matched.
            if (Sum(hypothesisErrors, startH, length) == 0 || Sum(referenceErrors, startR, length) == 0) continue;
            if (startH <= align[startR] && align[startR] < startH + length) continue;
            int previous = -1;
            for (int offset = -1; offset < length; offset++)
            {
                int target;
                if (startR + offset == -1) target = 0;
                else if (startR + offset < align.Length) target = align[startR + offset] + 1;   // sacreBLEU inserts before it
                else break;
                if (target == previous) continue;
                previous = target;
                var shifted = Shift(hypothesis, startH, length, target);
                var candidate = (before - distance.Compute(shifted).Distance, length, -startH, -target, shifted);
                checkedCandidates++;
                if (best is null || Greater(candidate, best.Value)) best = candidate;
            }
            if (checkedCandidates >= MaxShiftCandidates) break;
        }
        return best is { } b ? (b.Gain, b.Words) : (0, hypothesis);
    }

    // The first four keys decide; equal keys mean the same shift, hence the same words.
    static bool Greater((long, int, int, int, string[]) a, (long, int, int, int, string[]) b) =>
        (a.Item1, a.Item2, a.Item3, a.Item4).CompareTo((b.Item1, b.Item2, b.Item3, b.Item4)) > 0;

    static int Sum(int[] errors, int start, int length)
    {
        int sum = 0;
        for (int i = start; i < Math.Min(errors.Length, start + length); i++) sum += errors[i];
        return sum;
    }

    static string[] Shift(string[] words, int start, int length, int target)
    {
        IEnumerable<string> shifted;
        if (target < start)
            shifted = words[..target].Concat(words[start..(start + length)]).Concat(words[target..start]).Concat(words[(start + length)..]);
        else if (target > start + length)
            shifted = words[..start].Concat(words[(start + length)..target]).Concat(words[start..(start + length)]).Concat(words[target..]);
        else
            shifted = words[..start].Concat(words[(start + length)..Math.Min(words.Length, length + target)])
                .Concat(words[start..(start + length)]).Concat(words[Math.Min(words.Length, length + target)..]);
        return shifted.ToArray();
    }

    /// <summary>Every (hypothesis start, reference start, length) whose words agree, up to 10 words and 50 positions apart.</summary>
    static IEnumerable<(int StartH, int StartR, int Length)> ShiftedPairs(string[] h, string[] r)
    {
        for (int startH = 0; startH < h.Length; startH++)
            for (int startR = 0; startR < r.Length; startR++)
            {
                if (Math.Abs(startR - startH) > MaxShiftDistance) continue;
                int length = 0;
                while (length < MaxShiftSize && h[startH + length] == r[startR + length])
                {
                    length++;
                    yield return (startH, startR, length);
                    if (h.Length == startH + length || r.Length == startR + length) break;
                }
            }
    }

    /// <summary>From the trace (reference rewritten into the hypothesis): each reference word's hypothesis position, and which words are wrong.</summary>
    static (int[] Align, int[] ReferenceErrors, int[] HypothesisErrors) Alignment(string trace)
    {
        int posH = -1, posR = -1;
        var hypothesisErrors = new List<int>();
        var referenceErrors = new List<int>();
        var align = new List<int>();
        // The trace was computed hypothesis → reference; read with insertions and deletions swapped.
        foreach (char op in trace)
        {
            switch (op)
            {
                case Nop or Sub:
                    posH++; posR++;
                    align.Add(posH);
                    hypothesisErrors.Add(op == Sub ? 1 : 0);
                    referenceErrors.Add(op == Sub ? 1 : 0);
                    break;
                case Del:            // flipped: an insertion
                    posH++;
                    hypothesisErrors.Add(1);
                    break;
                case Ins:            // flipped: a deletion
                    posR++;
                    align.Add(posH);
                    referenceErrors.Add(1);
                    break;
                default: throw new InvalidOperationException($"unknown edit operation '{op}'");
            }
        }
        return ([.. align], [.. referenceErrors], [.. hypothesisErrors]);
    }

    const char Nop = ' ', Sub = 's', Ins = 'i', Del = 'd', Undefined = 'x';

    /// <summary>
    /// Word edit distance to a fixed reference over a beam of 25 around the length-scaled diagonal (the last row in
    /// full), preferring match/substitution, then deletion, then insertion on ties, with the trace of operations.
    /// sacreBLEU caches rows by hypothesis prefix; that only saves time (a row depends on its prefix alone), so it is left out.
    /// </summary>
    sealed class BeamEditDistance(string[] reference)
    {
        public (long Distance, string Trace) Compute(string[] h)
        {
            int n = h.Length, m = reference.Length;
            var cost = new long[n + 1, m + 1];
            var op = new char[n + 1, m + 1];
            for (int j = 0; j <= m; j++) (cost[0, j], op[0, j]) = (j, Ins);
            for (int i = 1; i <= n; i++)
                for (int j = 0; j <= m; j++) (cost[i, j], op[i, j]) = (Infinity, Undefined);
            double ratio = n > 0 ? (double)m / n : 1;
            int beam = BeamWidth < ratio / 2 ? (int)Math.Ceiling(ratio / 2 + BeamWidth) : BeamWidth;
            for (int i = 1; i <= n; i++)
            {
                int diagonal = (int)Math.Floor(i * ratio);
                int minJ = Math.Max(0, diagonal - beam), maxJ = i == n ? m + 1 : Math.Min(m + 1, diagonal + beam);
                for (int j = minJ; j < maxJ; j++)
                {
                    if (j == 0)
                    {
                        (cost[i, j], op[i, j]) = (cost[i - 1, j] + 1, Del);
                        continue;
                    }
                    bool same = h[i - 1] == reference[j - 1];
                    Consider(cost[i - 1, j - 1] + (same ? 0 : 1), same ? Nop : Sub);
                    Consider(cost[i - 1, j] + 1, Del);
                    Consider(cost[i, j - 1] + 1, Ins);

                    void Consider(long c, char o)
                    {
                        if (cost[i, j] > c) (cost[i, j], op[i, j]) = (c, o);
                    }
                }
            }
            var trace = new System.Text.StringBuilder();
            for (int i = n, j = m; i > 0 || j > 0;)
            {
                char o = op[i, j];
                trace.Insert(0, o);
                switch (o)
                {
                    case Sub or Nop: i--; j--; break;
                    case Ins: j--; break;
                    case Del: i--; break;
                    default: throw new InvalidOperationException($"unknown edit operation '{o}'");
                }
            }
            return (cost[n, m], trace.ToString());
        }
    }
}
