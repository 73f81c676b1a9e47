using System.Text.Json;
using StyleStudio.Evaluation.Judging;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Evaluation;

/// <summary>Spearman's ρ and Kendall's τ-b against scipy (Fixtures/metrics/correlation.json, made by
/// tools/reference/make_correlation_reference.py), and the judge's per-axis agreement with people built on them.</summary>
public class RankCorrelationTests
{
    static IEnumerable<JsonElement> Cases() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "metrics", "correlation.json"))).RootElement.GetProperty("cases").EnumerateArray();

    static double[] Values(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    static double Expected(JsonElement e) => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();

    [Fact]
    public void Both_match_scipy_to_1e_9_on_every_case()
    {
        int cases = 0;
        foreach (var c in Cases())
        {
            var (judge, human) = (Values(c.GetProperty("judge")), Values(c.GetProperty("human")));
            string name = c.GetProperty("name").GetString()!;
            AssertClose(Expected(c.GetProperty("spearman")), RankCorrelation.Spearman(judge, human), $"{name}: spearman");
            AssertClose(Expected(c.GetProperty("kendall_tau_b")), RankCorrelation.KendallTauB(judge, human), $"{name}: tau-b");
            cases++;
        }
        Assert.True(cases >= 10, $"only {cases} cases in the fixture");
    }

    static void AssertClose(double expected, double actual, string what)
    {
        if (double.IsNaN(expected)) Assert.True(double.IsNaN(actual), $"{what}: scipy gives NaN, got {actual}");
        else Assert.True(Math.Abs(expected - actual) <= 1e-9, $"{what}: scipy {expected:R}, got {actual:R}");
    }

    [Fact]
    public void Ties_share_the_mean_of_their_ranks()
    {
        Assert.Equal([2.5, 1, 2.5, 4], RankCorrelation.AverageRanks([3, 1, 3, 7]));
    }

    [Fact]
    public void Agreement_pairs_only_rows_both_the_judge_and_people_scored()
    {
        var rows = new[]
        {
            new RowJudgement(0, JudgeOutcome.Scored, new JudgeScores(5, 4, 3, null), ["r"], null, false),
            new RowJudgement(1, JudgeOutcome.Malformed, null, ["junk"], "not a JSON object", false),
            new RowJudgement(2, JudgeOutcome.Scored, new JudgeScores(2, 2, 5, null), ["r"], null, false),
            new RowJudgement(3, JudgeOutcome.Scored, new JudgeScores(3, 5, 1, null), ["r"], null, false),
            new RowJudgement(4, JudgeOutcome.Scored, new JudgeScores(1, 1, 1, null), ["r"], null, false),
        };
        var report = new JudgeReport("j", JudgeRubric.Version, RubricLanguage.English, rows, null);
        (double, double, double)?[] human = [(4.5, 4, 2), (1, 1, 1), (2, 3, 4.5), null, (1.5, 1, 1)];

        var agreement = JudgeAgreement.Of(report, human);
        Assert.Equal(["style", "meaning", "fluency"], agreement.Select(a => a.Axis));
        Assert.All(agreement, a => Assert.Equal(3, a.Pairs));   // rows 0, 2 and 4
        Assert.Equal(RankCorrelation.Spearman([5, 2, 1], [4.5, 2, 1.5]), agreement[0].Spearman);
        Assert.Equal(RankCorrelation.KendallTauB([3, 5, 1], [2, 4.5, 1]), agreement[2].KendallTauB);

        Assert.Contains("one entry (or null) per row", Assert.Throws<ArgumentException>(() => JudgeAgreement.Of(report, human[..3])).Message);
        Assert.Contains("got 3 and 2", Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman([1, 2, 3], [1, 2])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => RankCorrelation.KendallTauB([1, double.NaN], [1, 2])).Message);
    }
}
