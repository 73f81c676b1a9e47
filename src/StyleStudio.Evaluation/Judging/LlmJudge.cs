namespace StyleStudio.Evaluation.Judging;

/// <summary>How a row's judging ended.</summary>
public enum JudgeOutcome
{
    /// <summary>The judge gave three valid scores.</summary>
    Scored,
    /// <summary>Every attempt's reply broke the reply rules; the replies are kept, no score is guessed.</summary>
    Malformed,
    /// <summary>No reply came back (HTTP error, timeout, no connection); not cached, so a re-run tries again.</summary>
    TransportError,
}

/// <summary>The judge's verdict on one row.</summary>
/// <param name="Row">The row's index in the input.</param>
/// <param name="Scores">Set when <paramref name="Outcome"/> is <see cref="JudgeOutcome.Scored"/>.</param>
/// <param name="Replies">Every reply the judge gave, in order (the last one is the scored one when scored).</param>
/// <param name="Problem">What was wrong with the last reply, or the transport error; null when scored.</param>
/// <param name="Cached">Taken from the cache: no request was sent for it.</param>
public sealed record RowJudgement(int Row, JudgeOutcome Outcome, JudgeScores? Scores, IReadOnlyList<string> Replies, string? Problem, bool Cached);

/// <summary>Rows done so far, for a progress bar.</summary>
public sealed record JudgeProgress(int Done, int Total, int Malformed, int TransportErrors);

/// <summary>Mean scores over the rows the judge scored.</summary>
public sealed record JudgeMeans(double Style, double Meaning, double Fluency);

/// <summary>A judged set of rows.</summary>
/// <param name="Means">Over scored rows only; null when none was scored.</param>
public sealed record JudgeReport(string Judge, string RubricVersion, RubricLanguage Language, IReadOnlyList<RowJudgement> Rows, JudgeMeans? Means)
{
    public int Scored => Rows.Count(r => r.Outcome == JudgeOutcome.Scored);
    public int Malformed => Rows.Count(r => r.Outcome == JudgeOutcome.Malformed);
    public int TransportErrors => Rows.Count(r => r.Outcome == JudgeOutcome.TransportError);
    public int CacheHits => Rows.Count(r => r.Cached);
}

/// <summary>What to judge the rows against and how hard to try.</summary>
public sealed record JudgeSettings
{
    /// <summary>The target style, as a name or a description the judge can apply (e.g. "classical Chinese 文言文").</summary>
    public required string Style { get; init; }

    /// <summary>The rubric's language. Defaults to null: chosen from the rows' source texts (<see cref="RubricLanguages.Detect"/>).</summary>
    public RubricLanguage? Language { get; init; }

    /// <summary>The system whose rewrites are judged (a model id, a run, a file name); part of the cache key. Defaults to "".</summary>
    public string System { get; init; } = "";

    /// <summary>Requests in flight at once. Defaults to 4.</summary>
    public int MaxConcurrent { get; init; } = 4;

    /// <summary>Replies asked for per row before it is recorded as malformed: the first greedy, the rest sampled with a seed
    /// and told what was wrong. Defaults to 3.</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>Temperature of the retries (the first attempt is at 0). Defaults to 0.7.</summary>
    public double RetryTemperature { get; init; } = 0.7;

    /// <summary>Seed of the first retry; each later retry adds one. Defaults to 1.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Longest reply asked for. Defaults to 256 tokens.</summary>
    public int MaxReplyTokens { get; init; } = 256;

    /// <exception cref="ArgumentException">An empty style or a count out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Style)) throw new ArgumentException("describe the target style the judge should look for (e.g. --style \"formal business Chinese\")");
        if (MaxConcurrent < 1) throw new ArgumentException($"concurrency must be at least 1; got {MaxConcurrent}");
        if (Attempts < 1) throw new ArgumentException($"attempts must be at least 1; got {Attempts}");
        if (MaxReplyTokens < 16) throw new ArgumentException($"a judge reply needs at least 16 tokens; got {MaxReplyTokens}");
        if (RetryTemperature is < 0 or > 2) throw new ArgumentException($"retry temperature must be from 0 to 2; got {RetryTemperature}");
    }
}

/// <summary>
/// An LLM as judge: each row goes to the endpoint with the rubric; a reply is accepted only if <see cref="JudgeReply"/>
/// reads three integer scores from it, else asked again (a seeded, sampled retry told what was wrong) and finally recorded
/// as malformed with every raw reply. Requests run a few at a time, verdicts already in the cache are not asked again,
/// progress is reported per row and cancellation stops the rows still waiting.
/// </summary>
public sealed class LlmJudge(OpenAiJudgeClient client, JudgementCache? cache = null)
{
    /// <exception cref="JudgeEndpointException">The endpoint refuses the key, the address or the model; nothing more is sent.</exception>
    public async Task<JudgeReport> JudgeAsync(IReadOnlyList<JudgeItem> items, JudgeSettings settings, IProgress<JudgeProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        settings.Validate();
        var language = settings.Language ?? RubricLanguages.Detect(items.Select(i => i.Source));
        string judge = client.Options.Identity;
        var rows = new RowJudgement[items.Count];
        int done = 0, malformed = 0, failed = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrent, CancellationToken = cancellation };
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), parallel, async (row, token) =>
        {
            string key = JudgementCache.Key(judge, language, settings.System, settings.Style, items[row]);
            var judgement = cache?.Find(key, row);
            if (judgement is null)
            {
                judgement = await JudgeRowAsync(row, items[row], language, settings, token);
                if (judgement.Outcome != JudgeOutcome.TransportError) cache?.Put(key, judgement);
            }
            rows[row] = judgement;
            if (judgement.Outcome == JudgeOutcome.Malformed) Interlocked.Increment(ref malformed);
            if (judgement.Outcome == JudgeOutcome.TransportError) Interlocked.Increment(ref failed);
            int now = Interlocked.Increment(ref done);
            progress?.Report(new JudgeProgress(now, items.Count, Volatile.Read(ref malformed), Volatile.Read(ref failed)));
        });
        var scored = rows.Where(r => r.Scores is not null).Select(r => r.Scores!).ToList();
        JudgeMeans? means = scored.Count == 0 ? null
            : new JudgeMeans(scored.Average(s => s.Style), scored.Average(s => s.Meaning), scored.Average(s => s.Fluency));
        return new JudgeReport(judge, JudgeRubric.Version, language, rows, means);
    }

    async Task<RowJudgement> JudgeRowAsync(int row, JudgeItem item, RubricLanguage language, JudgeSettings settings, CancellationToken cancellation)
    {
        var messages = JudgeRubric.Messages(language, settings.Style, item);
        var replies = new List<string>();
        string? problem = null;
        for (int attempt = 0; attempt < settings.Attempts; attempt++)
        {
            var sampling = attempt == 0
                ? new JudgeSampling(0, null, settings.MaxReplyTokens)
                : new JudgeSampling(settings.RetryTemperature, settings.Seed + attempt - 1, settings.MaxReplyTokens);
            var conversation = attempt == 0 ? messages : [.. messages, .. JudgeRubric.Correction(language, replies[^1], problem!)];
            string reply;
            try
            {
                reply = await client.CompleteAsync(conversation, sampling, cancellation);
            }
            catch (JudgeTransportException e)
            {
                return new RowJudgement(row, JudgeOutcome.TransportError, null, replies, e.Message, Cached: false);
            }
            replies.Add(reply);
            if (JudgeReply.Parse(reply, out problem) is { } scores)
                return new RowJudgement(row, JudgeOutcome.Scored, scores, replies, null, Cached: false);
        }
        return new RowJudgement(row, JudgeOutcome.Malformed, null, replies, problem, Cached: false);
    }
}
