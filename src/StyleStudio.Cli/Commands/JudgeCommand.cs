using System.CommandLine;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Judging;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio judge --src FILE --hyp FILE [--ref FILE] --style TEXT --endpoint URL --model NAME [--key KEY] [--lang zh|en]
/// [--json]</c>: an LLM behind any OpenAI-compatible endpoint scores each rewrite (one per line of --hyp, its source the same
/// line of --src) for style strength, meaning preserved and fluency, 1–5; prints the per-axis means, how many replies were
/// malformed or failed, and with --json every row's scores. Verdicts are cached, so a re-run asks only for new rows. With
/// --human FILE (people's scores for the same rows) it also prints how closely the judge agrees with people, per axis.
/// </summary>
static class JudgeCommand
{
    /// <summary>Where the key is read from when --key is not given.</summary>
    public const string KeyVariable = "STYLESTUDIO_JUDGE_KEY";

    public static Command Create()
    {
        var source = new Option<FileInfo>("--src") { Description = "source texts, one per line", Required = true };
        var hypothesis = new Option<FileInfo>("--hyp") { Description = "the rewrites to judge, one per line (line i rewrites line i of --src)", Required = true };
        var reference = new Option<FileInfo?>("--ref") { Description = "reference rewrites in the target style, one per line (shown to the judge for comparison)" };
        var style = new Option<string>("--style") { Description = "the target style, by name or description (e.g. \"文言文\", \"formal business English\")", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "the judge's OpenAI-compatible base address, e.g. https://api.openai.com/v1 or http://localhost:5000/v1", Required = true };
        var model = new Option<string>("--model") { Description = "the judge model's name at that endpoint", Required = true };
        var key = new Option<string?>("--key") { Description = $"API key (default: ${KeyVariable}; none when unset)" };
        var language = new Option<string>("--lang") { Description = "rubric language: zh, en, or auto (from the source texts)", DefaultValueFactory = _ => "auto" };
        var system = new Option<string?>("--system") { Description = "name of the system whose rewrites these are, kept with the cached verdicts (default: the --hyp file's name)" };
        var concurrency = new Option<int>("--concurrency") { Description = "requests in flight at once", DefaultValueFactory = _ => 4 };
        var attempts = new Option<int>("--attempts") { Description = "replies asked for per row before it counts as malformed", DefaultValueFactory = _ => 3 };
        var seed = new Option<long>("--seed") { Description = "seed of the retries (the first attempt is greedy)", DefaultValueFactory = _ => 1 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "longest judge reply, in tokens", DefaultValueFactory = _ => 256 };
        var jsonMode = new Option<bool>("--json-mode") { Description = "ask for response_format json_object (for servers that support it)" };
        var timeout = new Option<double>("--timeout") { Description = "seconds one judge request may take", DefaultValueFactory = _ => 120 };
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "the data folder, where the verdict cache judgements.db is kept (default: $STYLESTUDIO_DATA, else ~/.local/share/StyleStudio)",
            DefaultValueFactory = _ => new DirectoryInfo(DataStore.DefaultFolder),
        };
        var cache = new Option<FileInfo?>("--cache") { Description = "the verdict cache file (default: judgements.db in the data folder)" };
        var rejudge = new Option<bool>("--rejudge-malformed") { Description = "ask again for rows whose cached verdict is malformed" };
        var noCache = new Option<bool>("--no-cache") { Description = "judge every row afresh and keep nothing" };
        var human = new Option<FileInfo?>("--human") { Description = "people's scores for the same rows, one line each: style meaning fluency (numbers; an empty line for a row no one rated); prints Spearman and Kendall tau-b per axis" };
        var json = CommonOptions.Json();
        var command = new Command("judge", "Score rewrites with an LLM judge: style strength, meaning preserved and fluency, 1-5")
        {
            source, hypothesis, reference, style, endpoint, model, key, language, system, concurrency, attempts, seed, maxTokens, jsonMode, timeout, data, cache, noCache, rejudge, human, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var sources = ReadLines(parse.GetValue(source)!, "--src");
            var rewrites = ReadLines(parse.GetValue(hypothesis)!, "--hyp");
            var references = parse.GetValue(reference) is { } referenceFile ? ReadLines(referenceFile, "--ref") : null;
            if (rewrites.Length != sources.Length)
                throw new ArgumentException($"--hyp has {rewrites.Length} lines but --src has {sources.Length}; line i of each must be the same row");
            if (references is not null && references.Length != sources.Length)
                throw new ArgumentException($"--ref has {references.Length} lines but --src has {sources.Length}; line i of each must be the same row");
            if (sources.Length == 0) throw new ArgumentException($"{parse.GetValue(source)!.FullName} is empty: nothing to judge");
            var items = sources.Select((s, i) => new JudgeItem(s, rewrites[i], references?[i])).ToList();
            var humanScores = parse.GetValue(human) is { } humanFile ? ReadHumanScores(humanFile, sources.Length) : null;

            if (!Uri.TryCreate(parse.GetValue(endpoint), UriKind.Absolute, out var baseUrl))
                throw new ArgumentException($"--endpoint '{parse.GetValue(endpoint)}' is not an address; e.g. http://localhost:5000/v1");
            var client = new OpenAiJudgeClient(new JudgeEndpointOptions
            {
                BaseUrl = baseUrl,
                Model = parse.GetValue(model)!,
                ApiKey = parse.GetValue(key) ?? (Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null),
                JsonMode = parse.GetValue(jsonMode),
                Timeout = parse.GetValue(timeout) is > 0 and var seconds && double.IsFinite(seconds)
                    ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException($"--timeout must be a positive number of seconds; got {parse.GetValue(timeout)}"),
            });
            var settings = new JudgeSettings
            {
                Style = parse.GetValue(style)!,
                Language = parse.GetValue(language) is "auto" ? null : RubricLanguages.Parse(parse.GetValue(language)!),
                System = parse.GetValue(system) ?? parse.GetValue(hypothesis)!.Name,
                MaxConcurrent = parse.GetValue(concurrency),
                Attempts = parse.GetValue(attempts),
                Seed = parse.GetValue(seed),
                MaxReplyTokens = parse.GetValue(maxTokens),
                RejudgeMalformed = parse.GetValue(rejudge),
            };
            using var verdicts = parse.GetValue(noCache) ? null
                : JudgementCache.Open(parse.GetValue(cache)?.FullName ?? Path.Combine(parse.GetValue(data)!.FullName, "judgements.db"));
            bool asJson = parse.GetValue(json);
            IProgress<JudgeProgress>? progress = asJson ? null : new ConsoleProgress();
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            JudgeReport report;
            try
            {
                report = new LlmJudge(client, verdicts).JudgeAsync(items, settings, progress, stop.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Console.Error.WriteLine("\ninterrupted; verdicts given so far are cached: run the same command again to continue");
                return StopSignals.InterruptedExitCode;
            }
            var agreement = humanScores is null ? null : Agreement(report, humanScores);
            if (asJson)
            {
                CliOutput.PrintJson(new
                {
                    Agreement = agreement?.Select(a => new { a.Axis, a.Pairs, Spearman = NullIfNaN(a.Spearman), KendallTauB = NullIfNaN(a.KendallTauB) }),
                    report.Judge, report.RubricVersion, Language = report.Language.Code(), Rows = report.Rows.Count, report.Scored,
                    report.Malformed, report.TransportErrors, report.CacheHits, report.Means,
                    Scores = report.Rows.Select(r => new
                    {
                        r.Row, Outcome = Name(r.Outcome), r.Scores?.Style, r.Scores?.Meaning, r.Scores?.Fluency,
                        r.Scores?.Reason, r.Problem, r.Replies, r.Cached,
                    }),
                });
            }
            else
            {
                Console.Error.WriteLine();
                Console.WriteLine($"judge {report.Judge} · rubric {report.RubricVersion} ({report.Language.Code()}) · {report.Rows.Count} rows, {report.CacheHits} from the cache");
                Console.WriteLine(report.Means is { } m
                    ? $"style {m.Style:F2}  meaning {m.Meaning:F2}  fluency {m.Fluency:F2}  (means over {report.Scored} scored rows)"
                    : "no row was scored");
                Console.WriteLine($"malformed {report.Malformed} · transport errors {report.TransportErrors}");
                foreach (var row in report.Rows.Where(r => r.Outcome != JudgeOutcome.Scored).Take(10))
                    Console.WriteLine($"  row {row.Row + 1}: {Name(row.Outcome)}: {row.Problem}");
                if (humanScores is not null)
                    Console.WriteLine(agreement is null
                        ? "agreement with people: fewer than two rows were both scored by the judge and rated by people"
                        : "agreement with people: " + string.Join("  ", agreement.Select(a => $"{a.Axis} ρ {a.Spearman:F3} τb {a.KendallTauB:F3}")) +
                          $"  (over {agreement[0].Pairs} rows)");
            }
            // Rows that got no verdict because the endpoint failed are worth a non-zero exit; malformed ones are a verdict.
            return report.TransportErrors > 0 ? 2 : 0;
        }));
        return command;
    }

    /// <summary>Per axis over rows both scored and rated; null when fewer than two such rows.</summary>
    static IReadOnlyList<AxisAgreement>? Agreement(JudgeReport report, IReadOnlyList<(double, double, double)?> human)
    {
        int pairs = report.Rows.Zip(human).Count(p => p.First.Scores is not null && p.Second is not null);
        return pairs < 2 ? null : JudgeAgreement.Of(report, human);
    }

    static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;

    /// <summary>One line per row: three numbers (style, meaning, fluency) separated by spaces, tabs or commas, or an empty line.</summary>
    static List<(double Style, double Meaning, double Fluency)?> ReadHumanScores(FileInfo file, int rows)
    {
        var lines = ReadLines(file, "--human");
        if (lines.Length != rows)
            throw new ArgumentException($"--human has {lines.Length} lines but --src has {rows}; line i of each must be the same row (an empty line for a row no one rated)");
        return lines.Select((line, i) =>
        {
            if (string.IsNullOrWhiteSpace(line)) return ((double, double, double)?)null;
            var parts = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            var numbers = parts.Select(p => double.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : (double?)null).ToList();
            if (numbers.Count != 3 || numbers.Any(n => n is null))
                throw new ArgumentException($"--human line {i + 1}: expected three numbers (style meaning fluency) or an empty line; got '{line}'");
            return (numbers[0]!.Value, numbers[1]!.Value, numbers[2]!.Value);
        }).ToList();
    }

    static string Name(JudgeOutcome outcome) => outcome switch
    {
        JudgeOutcome.Scored => "scored",
        JudgeOutcome.Malformed => "malformed",
        _ => "transport_error",
    };

    /// <summary>Writes "judged N/M" over itself on stderr, on the reporting thread so it never lands after the summary.</summary>
    sealed class ConsoleProgress : IProgress<JudgeProgress>
    {
        readonly Lock gate = new();

        public void Report(JudgeProgress value)
        {
            lock (gate) Console.Error.Write($"\rjudged {value.Done}/{value.Total}");
        }
    }

    static string[] ReadLines(FileInfo file, string option)
    {
        if (!file.Exists) throw new FileNotFoundException($"{option} {file.FullName}: no such file");
        return File.ReadAllLines(file.FullName);   // a final newline ends the last row; it is not a row of its own
    }
}
