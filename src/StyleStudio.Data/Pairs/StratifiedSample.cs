namespace StyleStudio.Data.Pairs;

/// <summary>A candidate drawn into the confirmation sample.</summary>
/// <param name="Candidate">Its index in the candidate list.</param>
/// <param name="Score">Its score (the threshold applies to it).</param>
/// <param name="Weight">How many candidates it stands for: its band's size over the number drawn from that band.</param>
public sealed record SampledCandidate(int Candidate, double Score, double Weight);

/// <summary>
/// The candidates a user confirms by hand: a stratified sample across the score range. The range of scores is cut into
/// equal-width bands and about the same number of candidates is drawn at random from each band (a band with fewer takes
/// them all; what it could not give goes to the others), so the low and middle scores — few of them true pairs, but where
/// the threshold is chosen — are seen as well as the many high ones. Each drawn candidate carries its band's weight
/// (candidates in the band / drawn from it) so that <see cref="ThresholdEstimate"/> can scale the sample back to the whole
/// list (stratified sampling, Cochran 1977, ch. 5).
/// </summary>
public static class StratifiedSample
{
    /// <summary>How many candidates the user confirms unless told otherwise.</summary>
    public const int DefaultSize = 20;
    /// <summary>How many score bands the sample is spread over unless told otherwise.</summary>
    public const int DefaultBands = 5;

    /// <param name="scores">Every candidate's score, in candidate order.</param>
    /// <param name="seed">Fixes the draw, so a session's sample can be drawn again the same.</param>
    public static IReadOnlyList<SampledCandidate> Draw(IReadOnlyList<double> scores, int size = DefaultSize, int bands = DefaultBands, int seed = 0)
    {
        if (size < 1) throw new ArgumentException("the sample needs at least one candidate");
        if (bands < 1) throw new ArgumentException("the sample needs at least one band");
        if (scores.Count == 0) return [];
        double low = scores.Min(), high = scores.Max(), width = (high - low) / bands;
        var members = Enumerable.Range(0, bands).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < scores.Count; i++)
            members[width <= 0 ? 0 : Math.Min(bands - 1, (int)((scores[i] - low) / width))].Add(i);

        // Spread the sample evenly over the bands that hold candidates, then hand what small bands cannot take to the rest.
        var quota = new int[bands];
        int left = Math.Min(size, scores.Count);
        while (left > 0)
        {
            var open = Enumerable.Range(0, bands).Where(b => quota[b] < members[b].Count).ToList();
            int share = Math.Max(1, left / open.Count);
            foreach (int b in open)
            {
                int take = Math.Min(Math.Min(share, members[b].Count - quota[b]), left);
                quota[b] += take;
                left -= take;
                if (left == 0) break;
            }
        }

        var random = new Random(seed);
        var sample = new List<SampledCandidate>();
        for (int b = 0; b < bands; b++)
        {
            if (quota[b] == 0) continue;
            double weight = (double)members[b].Count / quota[b];
            sample.AddRange(members[b].OrderBy(_ => random.Next()).Take(quota[b]).Select(i => new SampledCandidate(i, scores[i], weight)));
        }
        return sample.OrderByDescending(s => s.Score).ThenBy(s => s.Candidate).ToList();
    }
}
