namespace StyleStudio.Evaluation.Judging;

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

    /// <summary>Ask again for rows whose cached verdict is malformed (e.g. after a flaky judge had a bad day). Defaults to false:
    /// a cached malformed verdict is reported as it is.</summary>
    public bool RejudgeMalformed { get; init; }

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
