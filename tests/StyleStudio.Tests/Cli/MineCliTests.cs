using System.Text;
using System.Text.Json;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary><c>stylestudio data mine</c> as a user types it: two shuffled files in, JSON Lines of pairs out.</summary>
public sealed class MineCliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("mine-cli-").FullName;

    [Fact]
    public void Mine_writes_the_accepted_pairs_with_scores_and_they_are_the_true_ones()
    {
        var corpora = ShuffledCorpora.From(ShuffledCorpora.SamplePairs("official-to-social"), unrelated: 0.25, seed: 11);
        string source = Path.Combine(folder, "公文.txt"), target = Path.Combine(folder, "posts.txt"), output = Path.Combine(folder, "pairs.jsonl");
        File.WriteAllLines(source, corpora.Sources, new UTF8Encoding(false));
        // The other side in GB18030 with Windows line ends, as files from Chinese Windows tools come.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        File.WriteAllText(target, string.Join("\r\n", corpora.Targets) + "\r\n\r\n", Encoding.GetEncoding("gb18030"));

        var run = CliRunner.Run("data", "mine", "--source", source, "--target", target, "--out", output, "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var summary = JsonDocument.Parse(run.Stdout).RootElement;
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(summary.GetProperty("accepted").GetInt32(), lines.Count);
        Assert.Equal(corpora.Sources.Count, summary.GetProperty("sources").GetInt32());
        var (precision, recall) = Measure(corpora, lines);
        Assert.True(precision >= 0.9 && recall >= 0.8, $"precision {precision:F3}, recall {recall:F3}");
        Assert.All(lines, l => Assert.InRange(l.GetProperty("score").GetDouble(), PairMiner.DefaultThreshold, 1));
        // Written as UTF-8 text: the Chinese reads as itself, not as \u escapes (emoji, outside the BMP, are escaped).
        Assert.Contains(lines[0].GetProperty("input").GetString()!, File.ReadAllText(output));
    }

    [Fact]
    public void English_formal_and_casual_files_are_mined_by_meaning_and_recover_pairs_never_seen_before()
    {
        // Held-out pairs (not the samples the method was tuned on), a quarter of unrelated lines on each side, the
        // command as a user types it: default threshold, no options.
        var corpora = ShuffledCorpora.From(ShuffledCorpora.HeldOutPairs("formal-casual-en"), unrelated: 0.25, seed: 21);
        string source = Path.Combine(folder, "formal.txt"), target = Path.Combine(folder, "casual.txt"), output = Path.Combine(folder, "pairs.jsonl");
        File.WriteAllLines(source, corpora.Sources);
        File.WriteAllLines(target, corpora.Targets);

        var run = CliRunner.Run("data", "mine", "--source", source, "--target", target, "--out", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("meaning compared with all-MiniLM-L6-v2", run.Stdout);
        var (precision, recall) = Measure(corpora, File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList());
        Assert.True(precision >= 0.9 && recall >= 0.8, $"precision {precision:F3}, recall {recall:F3}");

        // By words alone the same files give far fewer true pairs: the meaning model is what finds them.
        var lexical = CliRunner.Run("data", "mine", "--source", source, "--target", target, "--out", Path.Combine(folder, "lexical.jsonl"), "--lexical-only", "--json");
        Assert.True(lexical.ExitCode == 0, lexical.Stderr);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(lexical.Stdout).RootElement.GetProperty("meaning_model").ValueKind);
        var (_, lexicalRecall) = Measure(corpora, File.ReadAllLines(Path.Combine(folder, "lexical.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList());
        Assert.True(lexicalRecall < recall, $"recall {lexicalRecall:F3} by words alone, {recall:F3} with meaning");
    }

    [Fact]
    public void A_higher_threshold_keeps_fewer_surer_pairs_and_all_shows_every_candidate_with_its_verdict()
    {
        var corpora = ShuffledCorpora.From(ShuffledCorpora.SamplePairs("modern-to-classical"), unrelated: 0.25, seed: 12);
        string source = Path.Combine(folder, "a.txt"), target = Path.Combine(folder, "b.txt");
        File.WriteAllLines(source, corpora.Sources);
        File.WriteAllLines(target, corpora.Targets);
        int Accepted(params string[] extra) =>
            JsonDocument.Parse(CliRunner.Run(["data", "mine", "--source", source, "--target", target, "--out", Path.Combine(folder, "p.jsonl"), "--json", .. extra]).Stdout)
                .RootElement.GetProperty("accepted").GetInt32();
        Assert.True(Accepted("--threshold", "0.4") < Accepted());
        Assert.Equal(0, CliRunner.Run("data", "mine", "--source", source, "--target", target, "--out", Path.Combine(folder, "all.jsonl"), "--all").ExitCode);
        var all = File.ReadAllLines(Path.Combine(folder, "all.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(all, l => !l.GetProperty("accepted").GetBoolean());
        // Scores are written to four places, so a score at the threshold itself may read either way.
        Assert.All(all.Where(l => Math.Abs(l.GetProperty("score").GetDouble() - PairMiner.DefaultThreshold) > 1e-4),
            l => Assert.Equal(l.GetProperty("score").GetDouble() >= PairMiner.DefaultThreshold, l.GetProperty("accepted").GetBoolean()));
    }

    [Fact]
    public void Accepted_pairs_become_a_dataset_version_with_their_scores()
    {
        var corpora = ShuffledCorpora.From(ShuffledCorpora.SamplePairs("modern-to-classical"), unrelated: 0.25, seed: 13);
        string source = Path.Combine(folder, "白话.txt"), target = Path.Combine(folder, "古文.txt"), data = Path.Combine(folder, "data");
        File.WriteAllLines(source, corpora.Sources);
        File.WriteAllLines(target, corpora.Targets);
        var run = CliRunner.Run("data", "mine", "--source", source, "--target", target, "--out", Path.Combine(folder, "p.jsonl"),
            "--dataset", "古风对", "--style", "古风", "--instruction", "将下文改写成古文：", "--data", data);
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var store = DataStore.Open(data);
        var dataset = store.Find("古风对");
        var rows = store.Rows(dataset.Id).ToList();
        Assert.Equal(File.ReadAllLines(Path.Combine(folder, "p.jsonl")).Length, rows.Count);
        Assert.All(rows, r => Assert.True(r.Score >= PairMiner.DefaultThreshold && r.Style == "古风" && r.Instruction == "将下文改写成古文："));
        Assert.Contains("mined", store.Versions("古风对").Single().Steps.Single());
    }

    [Fact]
    public void A_missing_file_or_a_threshold_outside_zero_to_one_is_refused_with_the_reason()
    {
        string target = Path.Combine(folder, "b.txt");
        File.WriteAllLines(target, ["吾甚念远方故人。"]);
        var missing = CliRunner.Run("data", "mine", "--source", Path.Combine(folder, "nope.txt"), "--target", target, "--out", Path.Combine(folder, "p.jsonl"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nope.txt does not exist", missing.Stderr);
        var threshold = CliRunner.Run("data", "mine", "--source", target, "--target", target, "--out", Path.Combine(folder, "p.jsonl"), "--threshold", "3");
        Assert.Equal(1, threshold.ExitCode);
        Assert.Contains("--threshold 3 is outside 0–1", threshold.Stderr);
        File.WriteAllText(Path.Combine(folder, "empty.txt"), "\n  \n");
        var empty = CliRunner.Run("data", "mine", "--source", Path.Combine(folder, "empty.txt"), "--target", target, "--out", Path.Combine(folder, "p.jsonl"));
        Assert.Contains("empty.txt holds no text", empty.Stderr);
    }

    /// <summary>Precision and recall of the pairs written to a JSON Lines file, against the corpora's true alignment.</summary>
    static (double Precision, double Recall) Measure(ShuffledCorpora corpora, IReadOnlyList<JsonElement> lines)
    {
        var sourceIndex = corpora.Sources.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        var targetIndex = corpora.Targets.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
        return corpora.Measure(lines.Select(l => (sourceIndex[l.GetProperty("input").GetString()!], targetIndex[l.GetProperty("output").GetString()!])));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
