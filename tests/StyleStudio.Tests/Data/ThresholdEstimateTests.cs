using StyleStudio.Data.Pairs;

namespace StyleStudio.Tests.Data;

/// <summary>
/// The threshold estimator and the stratified confirmation sample, on cases computed by hand (the Wilson bounds checked
/// against the published table values: 2 of 3 → 0.208–0.939, 1 of 1 → 0.207–1).
/// </summary>
public sealed class ThresholdEstimateTests
{
    static readonly double[] Scores = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];

    static readonly LabelledCandidate[] EqualWeights =
    [
        new(0.9, true), new(0.8, true), new(0.7, false), new(0.6, true), new(0.5, false), new(0.3, false),
    ];

    static void Equal(IEnumerable<double> expected, IEnumerable<double> actual, double tolerance)
    {
        var (e, a) = (expected.ToList(), actual.ToList());
        Assert.Equal(e.Count, a.Count);
        for (int i = 0; i < e.Count; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"item {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void With_equal_weights_each_sampled_score_is_a_threshold_with_plain_precision_recall_and_Wilson_bounds()
    {
        var estimate = ThresholdEstimate.From(EqualWeights, Scores);
        Assert.Equal([0.9, 0.8, 0.7, 0.6, 0.5, 0.3], estimate.Points.Select(p => p.Threshold));
        Equal([1, 1, 2 / 3.0, 0.75, 0.6, 0.5], estimate.Points.Select(p => p.Precision!.Value), 1e-12);
        Assert.Equal([2, 4, 5, 6, 7, 9], estimate.Points.Select(p => p.Kept));   // counted over all candidates
        Assert.Equal([1, 2, 3, 4, 5, 6], estimate.Points.Select(p => p.Sampled));
        Equal([1 / 3.0, 2 / 3.0, 2 / 3.0, 1, 1, 1], estimate.Points.Select(p => p.Recall), 1e-12);
        Equal([2, 4, 10 / 3.0, 4.5, 4.2, 4.5], estimate.Points.Select(p => p.CorrectKept), 1e-12);

        var oneOfOne = estimate.Points[0];
        Assert.Equal(0.2065, oneOfOne.Low, 0.0005);
        Assert.Equal(1, oneOfOne.High, 1e-12);
        var twoOfThree = estimate.Points[2];
        Assert.Equal(0.2077, twoOfThree.Low, 0.0005);
        Assert.Equal(0.9385, twoOfThree.High, 0.0005);
    }

    [Fact]
    public void The_suggestion_is_the_lowest_threshold_reaching_the_target_precision()
    {
        var estimate = ThresholdEstimate.From(EqualWeights, Scores);
        Assert.Equal(0.8, estimate.Suggest());          // 0.9 and 0.8 are at 100 %, 0.7 falls to 67 %
        Assert.Equal(0.6, estimate.Suggest(0.7));       // 75 % at 0.6
        Assert.Equal(0.3, estimate.Suggest(0.5));
        Assert.Null(ThresholdEstimate.From([new(0.9, false), new(0.5, false)], Scores).Suggest());
    }

    [Fact]
    public void Weights_scale_each_band_back_to_the_whole_list_and_shrink_the_effective_sample()
    {
        // Two candidates from a band of 2 (weight 1) and two from a band of 8 (weight 4).
        LabelledCandidate[] labels = [new(0.9, true, 1), new(0.8, false, 1), new(0.3, true, 4), new(0.2, false, 4)];
        var estimate = ThresholdEstimate.From(labels, Scores);

        var at08 = estimate.Points[1];
        Assert.Equal(0.5, at08.Precision!.Value, 1e-12);
        Assert.Equal(0.2, at08.Recall, 1e-12);            // 1 of the 5 weighted correct pairs
        var at03 = estimate.Points[2];
        Assert.Equal(5 / 6.0, at03.Precision!.Value, 1e-12);   // (1 + 4) / (1 + 1 + 4)
        Assert.Equal(1, at03.Recall, 1e-12);
        Assert.Equal(9 * 5 / 6.0, at03.CorrectKept, 1e-12);
        // Kish's effective size: (1 + 1 + 4)² / (1 + 1 + 16) = 2.
        Assert.Equal(ThresholdEstimate.Wilson(5 / 6.0, 2), (at03.Low, at03.High));
        var at02 = estimate.Points[3];
        Assert.Equal(0.5, at02.Precision!.Value, 1e-12);
    }

    [Fact]
    public void A_threshold_above_every_labelled_score_has_no_precision_and_keeps_no_estimated_correct_pair()
    {
        var point = ThresholdEstimate.At(0.92, EqualWeights, Scores);
        Assert.Null(point.Precision);
        Assert.Equal((1, 0, 0.0, 0), (point.Kept, point.Sampled, point.CorrectKept, (int)point.Recall));
    }

    [Fact]
    public void The_sample_takes_the_same_number_from_each_score_band_weighted_by_the_band_size()
    {
        var scores = Enumerable.Range(0, 100).Select(i => i / 100.0).ToList();
        var sample = StratifiedSample.Draw(scores, size: 20, bands: 5, seed: 3);
        Assert.Equal(20, sample.Select(s => s.Candidate).Distinct().Count());
        Assert.All(sample, s => Assert.Equal(5, s.Weight));
        Assert.Equal([4, 4, 4, 4, 4], sample.GroupBy(s => Math.Min(4, (int)(s.Score / 0.198))).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal(sample.Select(s => s.Score).OrderDescending(), sample.Select(s => s.Score));
        Assert.Equal(sample, StratifiedSample.Draw(scores, size: 20, bands: 5, seed: 3));   // the seed fixes the draw
    }

    [Fact]
    public void Small_bands_give_all_they_have_and_the_rest_of_the_sample_goes_to_the_big_ones()
    {
        // Bands of width 0.2 over 0–1: {0, 0.1}, {0.3}, {}, {0.7 ×3}, and 50 scores from 0.8 to 1.
        var scores = new List<double> { 0, 0.1, 0.3, 0.7, 0.7, 0.7 };
        scores.AddRange(Enumerable.Range(0, 50).Select(i => 0.8 + 0.2 * i / 49));
        var sample = StratifiedSample.Draw(scores, size: 10, bands: 5, seed: 1);
        Assert.Equal(10, sample.Count);
        Assert.Equal(2, sample.Count(s => s.Score < 0.2));
        Assert.Equal(1, sample.Count(s => s.Score is > 0.2 and < 0.4));
        Assert.Equal(3, sample.Count(s => s.Score is 0.7));
        var high = sample.Where(s => s.Score >= 0.8).ToList();
        Assert.Equal(4, high.Count);
        Assert.All(high, s => Assert.Equal(12.5, s.Weight));
        Assert.All(sample.Where(s => s.Score < 0.8), s => Assert.Equal(1, s.Weight));
        Assert.Equal(scores.Count, sample.Sum(s => s.Weight), 1e-9);   // the weights stand for every candidate
    }
}
