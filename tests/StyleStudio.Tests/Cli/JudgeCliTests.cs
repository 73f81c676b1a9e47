using System.Text.Json;
using StyleStudio.Tests.Support;
using Answer = StyleStudio.Tests.Support.ScriptedChatServer.Answer;

namespace StyleStudio.Tests.Cli;

/// <summary><c>stylestudio judge</c> as a user runs it: line files in, a judge over HTTP, means, malformed count and
/// per-row scores out as JSON; the cache makes a re-run free; bad input is refused with what to fix.</summary>
public sealed class JudgeCliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("judge-cli-").FullName;

    string Write(string name, params string[] lines)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public async Task Judges_line_files_prints_means_malformed_and_rows_and_reuses_the_cache()
    {
        await using var server = new ScriptedChatServer((request, _) =>
        {
            string row = request.Messages[1].Content;
            if (row.Contains("吾等")) return new Answer("""{"style": 5, "meaning": 4, "fluency": 4, "reason": "文言味足"}""");
            if (row.Contains("送达")) return new Answer("""{"style": 3, "meaning": 5, "fluency": 5, "reason": "半文半白"}""");
            return new Answer("风格 2 分，意思 5 分，流畅 5 分。");
        });
        string src = Write("src.txt", "今天天气很好，我们去公园散步吧。", "请在今天之内把报告发给我。", "商店九点关门。");
        string hyp = Write("hyp.txt", "今日天朗气清，吾等往园中散步。", "请今日内将报告送达。", "商店九点关门。");
        string[] arguments = ["judge", "--src", src, "--hyp", hyp, "--style", "文言文", "--endpoint", server.BaseUrl.ToString(), "--model", "judge-model",
            "--data", Path.Combine(folder, "data"), "--json"];
        var environment = new Dictionary<string, string?> { ["STYLESTUDIO_JUDGE_KEY"] = "sk-from-env" };

        var run = CliRunner.Run(environment, arguments);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var json = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal("zh", json.GetProperty("language").GetString());
        Assert.Equal(2, json.GetProperty("scored").GetInt32());
        Assert.Equal(1, json.GetProperty("malformed").GetInt32());
        Assert.Equal(4.0, json.GetProperty("means").GetProperty("style").GetDouble());
        Assert.Equal(4.5, json.GetProperty("means").GetProperty("meaning").GetDouble());
        var rows = json.GetProperty("scores").EnumerateArray().ToList();
        Assert.Equal([5, 3], rows.Take(2).Select(r => r.GetProperty("style").GetInt32()));
        Assert.Equal("malformed", rows[2].GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, rows[2].GetProperty("style").ValueKind);
        Assert.Equal(["风格 2 分，意思 5 分，流畅 5 分。", "风格 2 分，意思 5 分，流畅 5 分。", "风格 2 分，意思 5 分，流畅 5 分。"],
            rows[2].GetProperty("replies").EnumerateArray().Select(r => r.GetString()));
        Assert.All(server.Requests, r => Assert.Equal("Bearer sk-from-env", r.Authorization));
        int asked = server.Requests.Count;
        Assert.Equal(5, asked);
        Assert.True(File.Exists(Path.Combine(folder, "data", "judgements.db")), "the verdict cache is not in the data folder");

        var again = CliRunner.Run(environment, arguments);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(3, JsonDocument.Parse(again.Stdout).RootElement.GetProperty("cache_hits").GetInt32());
        Assert.Equal(asked, server.Requests.Count);

        // The text summary, for people.
        var text = CliRunner.Run(environment, [.. arguments[..^1]]);
        Assert.Contains("style 4.00  meaning 4.50  fluency 4.50  (means over 2 scored rows)", text.Stdout);
        Assert.Contains("malformed 1 · transport errors 0", text.Stdout);
    }

    [Fact]
    public async Task With_peoples_scores_it_prints_the_judges_agreement_per_axis()
    {
        // The judge gives row i the scores written in its rewrite ("s m f"); people rated all rows but the third.
        await using var server = new ScriptedChatServer((request, _) =>
        {
            var scores = request.Messages[1].Content.Split('\n').SkipWhile(l => !l.StartsWith("Rewrite to judge:")).ElementAt(1).Split(' ');
            return new Answer($$"""{"style": {{scores[0]}}, "meaning": {{scores[1]}}, "fluency": {{scores[2]}}}""");
        });
        string src = Write("src.txt", "one", "two", "three", "four", "five");
        string hyp = Write("hyp.txt", "5 4 3", "1 2 3", "4 4 4", "3 5 1", "2 2 5");
        string human = Write("human.txt", "4.5 4 2", "1,1,3", "", "3\t4.5\t1", "2.5 1 4");
        var run = CliRunner.Run("judge", "--src", src, "--hyp", hyp, "--human", human, "--style", "plain", "--endpoint", server.BaseUrl.ToString(),
            "--model", "m", "--no-cache", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var agreement = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("agreement").EnumerateArray().ToList();
        double[][] judge = [[5, 1, 3, 2], [4, 2, 5, 2], [3, 3, 1, 5]];
        double[][] people = [[4.5, 1, 3, 2.5], [4, 1, 4.5, 1], [2, 3, 1, 4]];
        for (int axis = 0; axis < 3; axis++)
        {
            Assert.Equal(new[] { "style", "meaning", "fluency" }[axis], agreement[axis].GetProperty("axis").GetString());
            Assert.Equal(4, agreement[axis].GetProperty("pairs").GetInt32());
            Assert.Equal(StyleStudio.Evaluation.Judging.RankCorrelation.Spearman(judge[axis], people[axis]), agreement[axis].GetProperty("spearman").GetDouble(), 12);
            Assert.Equal(StyleStudio.Evaluation.Judging.RankCorrelation.KendallTauB(judge[axis], people[axis]), agreement[axis].GetProperty("kendall_tau_b").GetDouble(), 12);
        }

        string bad = Write("bad.txt", "4 4 4", "4 four 4", "", "", "");
        var refused = CliRunner.Run("judge", "--src", src, "--hyp", hyp, "--human", bad, "--style", "plain", "--endpoint", server.BaseUrl.ToString(), "--model", "m", "--no-cache");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--human line 2: expected three numbers (style meaning fluency) or an empty line; got '4 four 4'", refused.Stderr);
    }

    [Fact]
    public void Mismatched_files_and_bad_options_are_refused_with_what_to_fix()
    {
        string src = Write("src.txt", "a", "b");
        string hyp = Write("hyp.txt", "a");
        var mismatch = CliRunner.Run("judge", "--src", src, "--hyp", hyp, "--style", "x", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--no-cache");
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("--hyp has 1 lines but --src has 2", mismatch.Stderr);

        var language = CliRunner.Run("judge", "--src", src, "--hyp", src, "--style", "x", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--lang", "fr", "--no-cache");
        Assert.Equal(1, language.ExitCode);
        Assert.Contains("rubric language 'fr': choose zh or en", language.Stderr);

        var address = CliRunner.Run("judge", "--src", src, "--hyp", src, "--style", "x", "--endpoint", "localhost:5000", "--model", "m", "--no-cache");
        Assert.Equal(1, address.ExitCode);
        Assert.Contains("must be an absolute http(s) address", address.Stderr);
    }

    [Fact]
    public void A_judge_that_is_not_there_is_a_transport_error_per_row_and_exit_code_2()
    {
        string src = Write("src.txt", "a", "b");
        // Port 9 (discard) on loopback: nothing listens, the connection is refused.
        var run = CliRunner.Run("judge", "--src", src, "--hyp", src, "--style", "x", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--no-cache", "--json");
        Assert.Equal(2, run.ExitCode);
        var json = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(2, json.GetProperty("transport_errors").GetInt32());
        Assert.All(json.GetProperty("scores").EnumerateArray(), r => Assert.StartsWith("no answer from http://127.0.0.1:9/v1/chat/completions", r.GetProperty("problem").GetString()));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
