namespace StyleStudio.Evaluation.Judging;

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
            if (judgement is { Outcome: JudgeOutcome.Malformed } && settings.RejudgeMalformed) judgement = null;
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
