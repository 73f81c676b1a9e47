using StyleStudio.Evaluation.Judging;
using StyleStudio.Tests.Support;
using Answer = StyleStudio.Tests.Support.ScriptedChatServer.Answer;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// The LLM judge against a real HTTP chat-completions server whose replies each test scripts: valid verdicts are read,
/// malformed ones retried and then recorded with their raw text (never guessed), transport errors kept apart, verdicts
/// cached, requests limited in number at once, progress reported and cancellation honoured.
/// </summary>
public sealed class JudgeTests : IDisposable
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    readonly string folder = Directory.CreateTempSubdirectory("judge-").FullName;

    static readonly JudgeItem[] Rows =
    [
        new("The meeting is moved to Friday.", "Hark! The council doth convene upon Friday.", "Know ye: the meeting shall be on Friday."),
        new("Please send the report today.", "Prithee, send thy report ere the sun sets."),
        new("The shop closes at nine.", "The shop closes at nine."),
    ];

    static readonly JudgeSettings Shakespearean = new() { Style = "Shakespearean English", MaxConcurrent = 2 };

    static LlmJudge Judge(ScriptedChatServer server, JudgementCache? cache = null, string? key = null) =>
        new(new OpenAiJudgeClient(new JudgeEndpointOptions { BaseUrl = server.BaseUrl, Model = "judge-model", ApiKey = key, TransportRetries = 0 }), cache);

    /// <summary>The rewrite a request asks about (the line after "Rewrite to judge:").</summary>
    static string RewriteOf(ScriptedChatServer.Request request)
    {
        var lines = request.Messages[1].Content.Split('\n');
        return lines[Array.FindIndex(lines, l => l.StartsWith("Rewrite to judge:", StringComparison.Ordinal) || l.StartsWith("待评改写", StringComparison.Ordinal)) + 1];
    }

    [Fact]
    public async Task Valid_replies_are_read_and_the_rubric_reaches_the_judge()
    {
        await using var server = new ScriptedChatServer((request, _) => RewriteOf(request) switch
        {
            var r when r.StartsWith("Hark") => new Answer("""{"style": 5, "meaning": 4, "fluency": 5, "reason": "Archaic and faithful."}"""),
            var r when r.StartsWith("Prithee") => new Answer("```json\n{\"style\": 4, \"meaning\": 5, \"fluency\": 4, \"reason\": \"Good.\"}\n```"),
            _ => new Answer("""{"reason": "A copy of the source.", "fluency": 5, "meaning": 5, "style": 1}"""),
        });
        var progress = new List<JudgeProgress>();
        var report = await Judge(server).JudgeAsync(Rows, Shakespearean, new SynchronousProgress<JudgeProgress>(progress.Add), Cancel);

        Assert.Equal([JudgeOutcome.Scored, JudgeOutcome.Scored, JudgeOutcome.Scored], report.Rows.Select(r => r.Outcome));
        Assert.Equal(new JudgeScores(5, 4, 5, "Archaic and faithful."), report.Rows[0].Scores);
        Assert.Equal(new JudgeScores(4, 5, 4, "Good."), report.Rows[1].Scores);
        Assert.Equal(new JudgeScores(1, 5, 5, "A copy of the source."), report.Rows[2].Scores);
        Assert.Equal(new JudgeMeans(10 / 3.0, 14 / 3.0, 14 / 3.0), report.Means);
        Assert.Equal(RubricLanguage.English, report.Language);
        Assert.Equal(3, progress.Count);
        Assert.Equal(3, progress.Max(p => p.Done));

        // One greedy request per row, in the rubric's words, with the style, the source, the reference and the rewrite.
        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(0, r.Temperature));
        Assert.All(server.Requests, r => Assert.Null(r.Authorization));   // no key: no Authorization header at all
        var first = server.Requests.Single(r => RewriteOf(r).StartsWith("Hark"));
        Assert.Equal("judge-model", first.Body.GetProperty("model").GetString());
        Assert.Equal(JudgeRubric.Instructions(RubricLanguage.English), first.Messages[0].Content);
        Assert.Contains("Target style: Shakespearean English", first.Messages[1].Content);
        Assert.Contains(Rows[0].Source, first.Messages[1].Content);
        Assert.Contains(Rows[0].Reference!, first.Messages[1].Content);
        Assert.DoesNotContain("Reference rewrite", server.Requests.Single(r => RewriteOf(r).StartsWith("Prithee")).Messages[1].Content);
    }

    [Fact]
    public async Task A_malformed_reply_is_retried_with_a_seed_and_told_what_was_wrong()
    {
        await using var server = new ScriptedChatServer((request, n) => request.Messages.Count == 2
            ? new Answer("""{"style": 4, "meaning": 5, "fluency": "three"}""")
            : new Answer("""{"style": 4, "meaning": 5, "fluency": 3, "reason": "ok"}"""));
        var report = await Judge(server).JudgeAsync([Rows[0]], Shakespearean with { Seed = 41, RetryTemperature = 0.6 }, cancellation: Cancel);

        var row = Assert.Single(report.Rows);
        Assert.Equal(JudgeOutcome.Scored, row.Outcome);
        Assert.Equal(new JudgeScores(4, 5, 3, "ok"), row.Scores);
        Assert.Equal(["""{"style": 4, "meaning": 5, "fluency": "three"}""", """{"style": 4, "meaning": 5, "fluency": 3, "reason": "ok"}"""], row.Replies);
        var (first, retry) = (server.Requests[0], server.Requests[1]);
        Assert.Equal(0, first.Temperature);
        Assert.Null(first.Seed);
        Assert.Equal(0.6, retry.Temperature!.Value, 1e-6);
        Assert.Equal(41, retry.Seed);
        Assert.Equal(("assistant", """{"style": 4, "meaning": 5, "fluency": "three"}"""), retry.Messages[2]);
        Assert.Contains("'fluency' must be an integer from 1 to 5; got \"three\"", retry.Messages[3].Content);
    }

    [Fact]
    public async Task Always_malformed_is_recorded_with_every_raw_reply_after_the_attempts()
    {
        await using var server = new ScriptedChatServer((_, n) => new Answer($"I think this rewrite is quite good, maybe a 4 out of 5. (try {n})"));
        var report = await Judge(server).JudgeAsync([Rows[1]], Shakespearean, cancellation: Cancel);

        var row = Assert.Single(report.Rows);
        Assert.Equal(JudgeOutcome.Malformed, row.Outcome);
        Assert.Null(row.Scores);
        Assert.Equal(Enumerable.Range(0, 3).Select(n => $"I think this rewrite is quite good, maybe a 4 out of 5. (try {n})"), row.Replies);
        Assert.StartsWith("not a JSON object", row.Problem);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal([null, 1L, 2L], server.Requests.Select(r => r.Seed));
        Assert.Null(report.Means);
        Assert.Equal(1, report.Malformed);
    }

    [Theory]
    [InlineData("Style: 4, meaning: 5, fluency: 3. The rewrite is archaic.")]
    [InlineData("""Here is my verdict: {"style": 4, "meaning": 5, "fluency": 3, "reason": "ok"}""")]
    [InlineData("""{"style": 4, "meaning": 5, "fluency": 3, "reason": "ok"} I hope this helps.""")]
    [InlineData("""{"style": 4.5, "meaning": 5, "fluency": 3}""")]
    [InlineData("""{"style": 6, "meaning": 5, "fluency": 3}""")]
    [InlineData("""{"style": 4, "meaning": 5}""")]
    public async Task Numbers_in_prose_or_out_of_the_rules_are_never_taken_as_scores(string reply)
    {
        await using var server = new ScriptedChatServer((_, _) => new Answer(reply));
        var report = await Judge(server).JudgeAsync([Rows[0]], Shakespearean with { Attempts = 2 }, cancellation: Cancel);
        var row = Assert.Single(report.Rows);
        Assert.Equal(JudgeOutcome.Malformed, row.Outcome);
        Assert.Null(row.Scores);
        Assert.Equal([reply, reply], row.Replies);
    }

    [Fact]
    public async Task A_server_error_is_a_transport_error_that_names_the_status_and_is_not_cached()
    {
        await using var server = new ScriptedChatServer((_, _) => Answer.Error(500, "the GPU fell over"));
        using var cache = JudgementCache.Open(Path.Combine(folder, "cache.db"));
        var report = await Judge(server, cache).JudgeAsync([Rows[0], Rows[1]], Shakespearean, cancellation: Cancel);

        Assert.All(report.Rows, row =>
        {
            Assert.Equal(JudgeOutcome.TransportError, row.Outcome);
            Assert.Empty(row.Replies);
            Assert.Equal($"HTTP 500 from {server.BaseUrl}/chat/completions: the GPU fell over", row.Problem);
        });
        Assert.Equal(2, report.TransportErrors);
        Assert.Equal(0, report.Malformed);
        Assert.Equal(2, server.Requests.Count);   // a transport error is not a malformed reply: no rubric retry
        Assert.Equal(0, cache.Count);

        await Judge(server, cache).JudgeAsync([Rows[0], Rows[1]], Shakespearean, cancellation: Cancel);
        Assert.Equal(4, server.Requests.Count);   // asked again: nothing was cached
    }

    [Fact]
    public async Task A_judge_too_slow_to_answer_is_a_transport_error()
    {
        await using var server = new ScriptedChatServer((_, _) => new Answer("""{"style": 3, "meaning": 3, "fluency": 3}"""), delay: TimeSpan.FromSeconds(3));
        var client = new OpenAiJudgeClient(new JudgeEndpointOptions
        {
            BaseUrl = server.BaseUrl, Model = "judge-model", TransportRetries = 0, Timeout = TimeSpan.FromMilliseconds(500),
        });
        var report = await new LlmJudge(client).JudgeAsync([Rows[0]], Shakespearean, cancellation: Cancel);
        var row = Assert.Single(report.Rows);
        Assert.Equal(JudgeOutcome.TransportError, row.Outcome);
        Assert.Equal($"no answer from {server.BaseUrl}/chat/completions within 0.5 s", row.Problem);
    }

    [Fact]
    public async Task A_refused_key_stops_judging_with_a_clear_error()
    {
        await using var server = new ScriptedChatServer((request, _) => request.Authorization == "Bearer right-key"
            ? new Answer("""{"style": 3, "meaning": 3, "fluency": 3}""")
            : Answer.Error(401, "invalid API key"));
        var rows = Enumerable.Repeat(Rows[0], 20).Select((r, i) => r with { Rewrite = $"{r.Rewrite} {i}" }).ToList();

        var refused = await Assert.ThrowsAsync<JudgeEndpointException>(() => Judge(server, key: "wrong-key").JudgeAsync(rows, Shakespearean, cancellation: Cancel));
        Assert.Equal(401, refused.Status);
        Assert.Equal($"the judge endpoint refused the request: HTTP 401 from {server.BaseUrl}/chat/completions (model 'judge-model'): invalid API key — check the API key",
            refused.Message);
        Assert.True(server.Requests.Count <= Shakespearean.MaxConcurrent + 1, $"{server.Requests.Count} requests after a 401");

        var report = await Judge(server, key: "right-key").JudgeAsync(rows.Take(2).ToList(), Shakespearean, cancellation: Cancel);
        Assert.Equal(2, report.Scored);
    }

    [Fact]
    public async Task A_second_run_judges_nothing_again()
    {
        await using var server = new ScriptedChatServer((request, _) => RewriteOf(request).StartsWith("The shop")
            ? new Answer("no idea")
            : new Answer("""{"style": 4, "meaning": 4, "fluency": 4, "reason": "fine"}"""));
        string file = Path.Combine(folder, "cache.db");
        JudgeReport first;
        using (var cache = JudgementCache.Open(file)) first = await Judge(server, cache).JudgeAsync(Rows, Shakespearean, cancellation: Cancel);
        int asked = server.Requests.Count;
        Assert.Equal(2 + 3, asked);   // two scored at once, the malformed one three times

        using (var reopened = JudgementCache.Open(file))
        {
            var second = await Judge(server, reopened).JudgeAsync(Rows, Shakespearean, cancellation: Cancel);
            Assert.Equal(asked, server.Requests.Count);   // no request at all
            Assert.All(second.Rows, r => Assert.True(r.Cached));
            Assert.Equal(first.Rows.Select(r => (r.Outcome, r.Scores, string.Join("|", r.Replies), r.Problem)),
                second.Rows.Select(r => (r.Outcome, r.Scores, string.Join("|", r.Replies), r.Problem)));

            // Another style, system or rubric language is another question: asked afresh.
            await Judge(server, reopened).JudgeAsync([Rows[0]], Shakespearean with { Style = "pirate speech" }, cancellation: Cancel);
            await Judge(server, reopened).JudgeAsync([Rows[0]], Shakespearean with { System = "run-2" }, cancellation: Cancel);
            await Judge(server, reopened).JudgeAsync([Rows[0]], Shakespearean with { Language = RubricLanguage.Chinese }, cancellation: Cancel);
            Assert.Equal(asked + 3, server.Requests.Count);

            // Asked to, it tries the malformed row again (three attempts) and nothing else.
            var rejudged = await Judge(server, reopened).JudgeAsync(Rows, Shakespearean with { RejudgeMalformed = true }, cancellation: Cancel);
            Assert.Equal(asked + 3 + 3, server.Requests.Count);
            Assert.Equal([true, true, false], rejudged.Rows.Select(r => r.Cached));
        }
    }

    [Fact]
    public async Task Chinese_rows_get_the_chinese_rubric()
    {
        await using var server = new ScriptedChatServer((_, _) => new Answer("""{"style": 2, "meaning": 5, "fluency": 4, "reason": "不够文雅"}"""));
        JudgeItem[] rows = [new("今天天气很好，我们去公园散步吧。", "今日天朗气清，吾等往园中散步。")];
        var report = await Judge(server).JudgeAsync(rows, new JudgeSettings { Style = "文言文" }, cancellation: Cancel);

        Assert.Equal(RubricLanguage.Chinese, report.Language);
        Assert.Equal(new JudgeScores(2, 5, 4, "不够文雅"), report.Rows[0].Scores);
        var request = Assert.Single(server.Requests);
        Assert.Equal(JudgeRubric.Instructions(RubricLanguage.Chinese), request.Messages[0].Content);
        Assert.Contains("风格强度", request.Messages[0].Content);
        Assert.Contains("目标风格：文言文", request.Messages[1].Content);
        Assert.Equal(RubricLanguage.English, RubricLanguages.Detect(["The weather is 很好 today, let us walk in the park."]));
    }

    [Fact]
    public async Task Requests_in_flight_stay_within_the_limit_and_cancellation_stops_the_rest()
    {
        await using var server = new ScriptedChatServer((_, _) => new Answer("""{"style": 3, "meaning": 3, "fluency": 3}"""), delay: TimeSpan.FromMilliseconds(150));
        var rows = Enumerable.Range(0, 12).Select(i => new JudgeItem($"Row {i}.", $"Rewrite {i}.")).ToList();
        var report = await Judge(server).JudgeAsync(rows, Shakespearean with { MaxConcurrent = 3 }, cancellation: Cancel);
        Assert.Equal(12, report.Scored);
        Assert.Equal(3, server.MostInFlight);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var more = Enumerable.Range(0, 40).Select(i => new JudgeItem($"Other {i}.", $"Rewrite {i}.")).ToList();
        var progress = new SynchronousProgress<JudgeProgress>(p => { if (p.Done == 4) stop.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Judge(server).JudgeAsync(more, Shakespearean with { MaxConcurrent = 2 }, progress, stop.Token));
        await Task.Delay(400, Cancel);
        Assert.InRange(server.Requests.Count, 12 + 4, 12 + 8);
    }

    [Theory]
    [InlineData("", "", "-1")]
    [InlineData("http://localhost:5000/v1", " ", "0")]
    [InlineData("ftp://example.com/v1", "m", "0")]
    public void Bad_judge_settings_are_refused_with_what_to_do(string url, string model, string retries)
    {
        Assert.ThrowsAny<Exception>(() => new OpenAiJudgeClient(new JudgeEndpointOptions
        {
            BaseUrl = new Uri(url.Length == 0 ? "relative/v1" : url, UriKind.RelativeOrAbsolute), Model = model, TransportRetries = int.Parse(retries),
        }));
        var e = Assert.Throws<ArgumentException>(() => new JudgeSettings { Style = " " }.Validate());
        Assert.Contains("describe the target style", e.Message);
        Assert.Throws<ArgumentException>(() => RubricLanguages.Parse("fr"));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
