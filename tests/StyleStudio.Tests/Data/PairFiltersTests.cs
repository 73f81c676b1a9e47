using System.Text.Json;
using StyleStudio.Data.Pairs;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>The filters on generated pairs: each check from a table of cases, the order they run in, what duplicates are
/// compared with, and the default bounds against the samples' true and shuffled pairs.</summary>
public sealed class PairFiltersTests(ITestOutputHelper output)
{
    public static TheoryData<string, string, PairFilter?> Cases => new()
    {
        // plain rewrite, styled original, expected filter (null = kept)
        { "今天天气很好，我们去公园散步吧。", "今日天朗气清，盍往园中一游？", null },
        { "", "今日天朗气清，盍往园中一游？", PairFilter.Empty },
        { " 。，… ", "今日天朗气清，盍往园中一游？", PairFilter.Empty },
        { "抱歉，我无法完成这个请求。", "今日天朗气清，盍往园中一游？", PairFilter.Refusal },
        { "I'm sorry, but I can't help with that.", "Heads up, the meeting's off.", PairFilter.Refusal },
        { "今日天朗气清，盍往园中一游！", "今日天朗气清，盍往园中一游？", PairFilter.Echo },
        { "HEADS UP - the meeting's off", "Heads up, the meeting's off.", PairFilter.Echo },
        { "天气", "今日天朗气清，盍往园中一游？", PairFilter.LengthRatio },
        { "今天天气很好很好很好很好很好，我们大家一起高高兴兴地去那个很大很大的公园里慢慢地散步吧，好不好呀朋友们", "今日天朗气清，盍往园中一游？", PairFilter.LengthRatio },
        { "我喜欢吃苹果和香蕉，也爱喝茶。", "今日天朗气清，盍往园中一游？", PairFilter.Similarity },
        { "I regret to inform you that the meeting has been cancelled.", "Heads up, the meeting's off.", null },
        { "Quarterly revenue figures exceeded every analyst estimate.", "Heads up, the meeting's off.", PairFilter.Similarity },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Each_check_turns_away_what_it_should(string plain, string styled, PairFilter? expected)
    {
        var filters = new PairFilters(new PairFilterSettings { MinSimilarity = 0.05 });
        Assert.Null(filters.CheckSource(1, styled));
        Assert.Equal(expected, filters.Check(1, plain, styled)?.Filter);
    }

    [Fact]
    public void Rejections_carry_the_measured_value()
    {
        var filters = new PairFilters(new PairFilterSettings { MinSimilarity = 0.5 });
        string styled = "今日天朗气清，盍往园中一游？";   // 12 characters without punctuation
        var tooShort = filters.Check(1, "天气好", styled)!;
        Assert.Equal(PairFilter.LengthRatio, tooShort.Filter);
        Assert.Equal(3.0 / 12, tooShort.Value!.Value, 6);

        string plain = "今天天气很好，我们去公园散步吧。";
        var unlike = filters.Check(2, plain, styled)!;
        Assert.Equal(PairFilter.Similarity, unlike.Filter);
        Assert.Equal(ContentSimilarity.Between(plain, styled), unlike.Value!.Value, 9);
    }

    [Theory]
    [InlineData("今日天朗气清，盍往园中一游？", true, 12)]
    [InlineData("Heads up, the meeting's off.", false, 5)]
    [InlineData("Heads up, the meeting's off.", true, 21)]
    [InlineData("", false, 0)]
    public void Length_counts_characters_or_words(string text, bool characters, int expected) =>
        Assert.Equal(expected, PairFilters.Length(text, characters));

    [Fact]
    public void Length_ratio_uses_the_styled_texts_unit()
    {
        Assert.Equal(1.75, PairFilters.LengthRatio("I cannot come tonight, sorry about that.", "Can't make it tonight!"), 6);   // 7 words / 4 words
        Assert.Equal(14.0 / 12, PairFilters.LengthRatio("今天天气很好，我们去公园散步吧。", "今日天朗气清，盍往园中一游？"), 6);
    }

    [Fact]
    public void Duplicates_point_at_the_earlier_item_and_plain_sides_count_only_when_kept()
    {
        var filters = new PairFilters(new PairFilterSettings { MinSimilarity = 0.05 });
        Assert.Null(filters.CheckSource(1, "今日天朗气清，盍往园中一游？"));
        Assert.Equal(new PairRejection(PairFilter.DuplicateStyled, 1), filters.CheckSource(2, "今日天朗气清，盍往园中一游?"));

        // Item 3's rewrite is turned away, so item 4's identical rewrite is not a duplicate of a kept pair…
        Assert.Null(filters.CheckSource(3, "吾甚念远方故人。"));
        Assert.Equal(PairFilter.Similarity, filters.Check(3, "今天天气很好，我们去公园散步吧。", "吾甚念远方故人。")?.Filter);
        Assert.Null(filters.CheckSource(4, "今日天清气朗，盍往园中一游？"));
        Assert.Null(filters.Check(4, "今天天气很好，我们去公园散步吧。", "今日天清气朗，盍往园中一游？"));
        // …while item 5's is a duplicate of item 4's kept one.
        Assert.Null(filters.CheckSource(5, "今朝天朗气清，盍往园中一游？"));
        Assert.Equal(new PairRejection(PairFilter.DuplicatePlain, 4), filters.Check(5, "今天天气很好，我们去公园散步吧！", "今朝天朗气清，盍往园中一游？"));

        var keepAll = new PairFilters(new PairFilterSettings { MinSimilarity = 0.05, DropDuplicates = false });
        Assert.Null(keepAll.CheckSource(1, "吾甚念远方故人。"));
        Assert.Null(keepAll.CheckSource(2, "吾甚念远方故人。"));
    }

    [Theory]
    [InlineData(-0.1, 3.0, 0.1, "least length ratio")]
    [InlineData(2.0, 1.0, 0.1, "must not be below")]
    [InlineData(0.5, 3.0, 1.5, "between 0 and 1")]
    public void Bad_settings_say_which(double min, double max, double similarity, string message)
    {
        var settings = new PairFilterSettings { MinLengthRatio = min, MaxLengthRatio = max, MinSimilarity = similarity };
        Assert.Contains(message, Assert.Throws<ArgumentException>(settings.Validate).Message);
    }

    /// <summary>The numbers in <see cref="PairFilters"/>' remarks: true pairs of the samples pass the default bounds, unrelated
    /// pairings (each plain text with the next row's styled text) mostly do not.</summary>
    [Theory]
    [InlineData("modern-to-classical.jsonl", true, 0.9, 0.05)]
    [InlineData("formal-to-casual.jsonl", false, 0.80, 0.20)]
    public void Default_bounds_separate_true_pairs_from_shuffled_ones(string sample, bool chinese, double keptTrue, double keptShuffled)
    {
        var pairs = File.ReadLines(Path.Combine(Fixtures.RepositoryRoot(), "samples", sample))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(row => (Plain: row.GetProperty("input").GetString()!, Styled: row.GetProperty("output").GetString()!)).ToList();
        var shuffled = pairs.Select((p, i) => (p.Plain, pairs[(i + 1) % pairs.Count].Styled)).ToList();
        double[] trueSimilarity = [.. pairs.Select(p => ContentSimilarity.Between(p.Plain, p.Styled)).Order()];
        double[] shuffledSimilarity = [.. shuffled.Select(p => ContentSimilarity.Between(p.Plain, p.Styled)).Order()];
        double[] ratios = [.. pairs.Select(p => PairFilters.LengthRatio(p.Plain, p.Styled)).Order()];
        output.WriteLine($"{sample}: {pairs.Count} pairs; true similarity min {trueSimilarity[0]:0.00} p5 {Percentile(trueSimilarity, 5):0.00} " +
            $"median {Percentile(trueSimilarity, 50):0.00}; shuffled median {Percentile(shuffledSimilarity, 50):0.00} p95 {Percentile(shuffledSimilarity, 95):0.00} " +
            $"max {shuffledSimilarity[^1]:0.00}; length ratio min {ratios[0]:0.00} p5 {Percentile(ratios, 5):0.00} median {Percentile(ratios, 50):0.00} " +
            $"p95 {Percentile(ratios, 95):0.00} max {ratios[^1]:0.00}");

        var defaults = PairFilterSettings.For(chinese);
        double Kept(IEnumerable<(string Plain, string Styled)> candidates)
        {
            var list = candidates.ToList();
            // Duplicates off: the shuffled list reuses every text once more, which is not what is measured here.
            var filters = new PairFilters(defaults with { DropDuplicates = false });
            return list.Select((p, i) => filters.Check(i + 1, p.Plain, p.Styled)).Count(r => r is null) / (double)list.Count;
        }
        foreach (var least in new[] { 0.02, 0.05, 0.1, 0.15 })
            output.WriteLine($"similarity ≥ {least}: true {trueSimilarity.Count(x => x >= least) / (double)pairs.Count:P0}, shuffled {shuffledSimilarity.Count(x => x >= least) / (double)pairs.Count:P0}");
        double trueKept = Kept(pairs), shuffledKept = Kept(shuffled);
        output.WriteLine($"kept by the defaults ({defaults.MinSimilarity}): true {trueKept:P0}, shuffled {shuffledKept:P0}");
        Assert.True(trueKept >= keptTrue, $"only {trueKept:P0} of the true pairs pass");
        Assert.True(shuffledKept <= keptShuffled, $"{shuffledKept:P0} of the shuffled pairs pass");
    }

    static double Percentile(double[] sorted, int percent) => sorted[(int)Math.Round((sorted.Length - 1) * percent / 100.0)];
}
