using StyleStudio.Data.Cleaning;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Tests.Data;

/// <summary>Each cleaning step does what it says and counts it; cleaning makes a new version that can be reverted.</summary>
public sealed class CleaningTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-clean-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static DatasetRow Row(string input, string output, string instruction = "改写成古风", string? style = null) =>
        new() { Instruction = instruction, Input = input, Output = output, Style = style };

    [Fact]
    public void Normalization_trims_and_composes_and_width_folding_keeps_chinese_punctuation()
    {
        var normalize = new NormalizeText();
        var fold = new FoldWidth();
        var rows = fold.Apply(normalize.Apply([Row("  Cafe\u0301 ｓｔｙｌｅ１\u3000ok  ", "好，走。"), Row("plain", "same")])).ToList();
        Assert.Equal("Café style1 ok", rows[0].Input);
        Assert.Equal("好，走。", rows[0].Output);
        Assert.Equal(new StepReport("trim + NFC", 2, 0, 1), normalize.Report);
        Assert.Equal(1, fold.Report.Changed);
    }

    [Fact]
    public void Exact_and_unchanged_rows_are_removed()
    {
        var exact = new ExactDuplicates();
        var unchanged = new DropUnchanged();
        var rows = unchanged.Apply(exact.Apply([Row("a", "b"), Row("a", "b"), Row("a", "b", style: "x"), Row("same", "same")])).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, exact.Report.Removed);
        Assert.Equal(1, unchanged.Report.Removed);
    }

    [Fact]
    public void Near_duplicates_are_removed_above_the_threshold_and_distinct_rows_kept()
    {
        const string text = "今天天气很好，我们一起去公园散步，看看湖边的柳树和远处的青山，心情十分愉快。";
        var near = new NearDuplicates(0.8);
        var rows = near.Apply([
            Row(text, "今日天朗气清"),
            Row(text + "！", "今日天朗气清"),                                  // one character added: near-duplicate
            Row("明天要下雨了，记得带伞出门，路上小心一些。", "明日将雨，出则携伞"),   // different
            Row(text.Replace("公园", "花园"), "今日天朗气清"),                   // two characters changed: still near
        ]).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(2, near.Report.Removed);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NearDuplicates(1.5));
    }

    [Fact]
    public void Token_length_filter_counts_in_the_models_tokens()
    {
        var tokenizer = TextTokenizer.Load(Fixtures.Model("qwen2"));
        var filter = new TokenLengthFilter(text => tokenizer.Encode(text).Length, minOutputTokens: 2, maxTotalTokens: 40);
        var rows = filter.Apply([Row("short", "a fine answer"), Row("short", "a"), Row(new string('x', 400), "long prompt")]).ToList();
        Assert.Single(rows);
        Assert.Equal(2, filter.Report.Removed);
    }

    [Fact]
    public void Cleaning_makes_a_new_version_and_revert_brings_the_old_one_back()
    {
        string file = Path.Combine(folder, "pairs.jsonl");
        File.WriteAllLines(file, [
            """{"instruction": "改写", "input": " 你好 ", "output": "汝好"}""",
            """{"instruction": "改写", "input": "你好", "output": "汝好"}""",
            """{"instruction": "改写", "input": "再见", "output": "再见"}""",
        ]);
        using var store = DataStore.Open(Path.Combine(folder, "data"));
        store.Import("greetings", file, new(), cancellation: TestContext.Current.CancellationToken);
        var (cleaned, reports) = store.Clean("greetings", [new NormalizeText(), new ExactDuplicates(), new DropUnchanged()]);
        Assert.Equal((2, 1L), (cleaned.Version, cleaned.Rows));
        Assert.Equal([1L, 1L, 1L], reports.Select(r => r.Changed + r.Removed));
        Assert.Equal("你好", Assert.Single(store.Rows(cleaned.Id)).Input);

        var versions = store.Versions("greetings");
        Assert.Equal([(1, (int?)null, 3L), (2, 1, 1L)], versions.Select(v => (v.Number, v.Parent, v.Rows)));
        Assert.Contains("exact duplicates: 3 → 2 rows (1 removed, 0 changed)", versions[1].Steps);

        var reverted = store.Revert("greetings", 1);
        Assert.Equal(3, store.Rows(reverted.Id).Count());
        Assert.Throws<ArgumentException>(() => store.Revert("greetings", 7));
    }

    [Fact]
    public void Instruction_variation_is_seeded_uses_the_styles_curated_list_fills_missing_ones_and_leaves_unknown_styles_alone()
    {
        DatasetRow[] rows = [.. Enumerable.Range(0, 30).Select(i => Row($"句{i}", $"文{i}", style: "古风")), Row("x", "y", style: "robot"), Row("x", "y", instruction: "", style: "古风")];
        var first = new VaryInstructions(seed: 5).Apply(rows).ToList();
        var again = new VaryInstructions(seed: 5).Apply(rows).ToList();
        Assert.Equal(first.Select(r => r.Instruction), again.Select(r => r.Instruction));
        Assert.All(first.Take(30), r => Assert.Contains(r.Instruction, CuratedPhrasings.For("古风")!));
        Assert.True(first.Take(30).Select(r => r.Instruction).Distinct().Count() >= 5);
        Assert.Equal("改写成古风", first[30].Instruction);
        Assert.Contains(first[31].Instruction, CuratedPhrasings.For("古风")!);
        Assert.Equal(first.Take(30).Select(r => (r.Input, r.Output)), rows.Take(30).Select(r => (r.Input, r.Output)));
    }
}
