namespace StyleStudio.Web.Training;

/// <summary>
/// What a chart does to a metric before drawing it: TensorBoard's smoothing, and thinning a long run to a drawable number
/// of points. Both are pure; the stored steps are never changed (the CSV download has them all).
/// </summary>
public static class MetricSeries
{
    /// <summary>
    /// TensorBoard's smoothing: an exponential moving average with weight <paramref name="weight"/> (0 = raw, 0.99 =
    /// very smooth), debiased so the first points are not pulled towards zero. Non-finite values pass through unsmoothed.
    /// </summary>
    public static double[] Ema(IReadOnlyList<double> values, double weight)
    {
        if (weight is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(weight), weight, "smoothing is in [0, 1)");
        var smoothed = new double[values.Count];
        double last = 0;
        int count = 0;
        for (int i = 0; i < values.Count; i++)
        {
            double value = values[i];
            if (!double.IsFinite(value))
            {
                smoothed[i] = value;
                continue;
            }
            last = last * weight + (1 - weight) * value;
            count++;
            smoothed[i] = last / (1 - Math.Pow(weight, count));
        }
        return smoothed;
    }

    /// <summary>
    /// Indices (ascending) of at most <paramref name="target"/> points that draw like all of <paramref name="values"/>:
    /// the first and the last, then per bucket of equal width its lowest and its highest point, so spikes and the overall
    /// minimum and maximum survive. Every index when there are no more than <paramref name="target"/> values.
    /// </summary>
    public static IReadOnlyList<int> Downsample(IReadOnlyList<double> values, int target)
    {
        if (target < 4) throw new ArgumentOutOfRangeException(nameof(target), target, "keep at least 4 points");
        int n = values.Count;
        if (n <= target) return Enumerable.Range(0, n).ToList();
        var kept = new List<int>(target) { 0 };
        int buckets = (target - 2) / 2;          // two points (min, max) per bucket between the first and the last
        int inner = n - 2;
        for (int b = 0; b < buckets; b++)
        {
            int start = 1 + (int)((long)b * inner / buckets), end = 1 + (int)((long)(b + 1) * inner / buckets);
            if (start >= end) continue;
            int low = start, high = start;
            for (int i = start + 1; i < end; i++)
            {
                if (values[i] < values[low]) low = i;
                if (values[i] > values[high]) high = i;
            }
            kept.Add(Math.Min(low, high));
            if (high != low) kept.Add(Math.Max(low, high));
        }
        kept.Add(n - 1);
        return kept;
    }
}
