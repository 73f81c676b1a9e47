using System.Security.Cryptography;
using System.Text;
using LiteDB;

namespace StyleStudio.Evaluation.Judging;

/// <summary>
/// Verdicts already given, in LiteDB, so judging the same rows again asks the judge nothing. A verdict is kept under the
/// SHA-256 of (rubric version, rubric language, judge endpoint and model, system, target style, source, rewrite,
/// reference): change any of them and the row is judged afresh. Scored and malformed verdicts are kept (a malformed one
/// with its raw replies); transport errors are not, so a re-run retries them.
/// </summary>
public sealed class JudgementCache : IDisposable
{
    public const string CollectionName = "judgements";

    readonly LiteDatabase? owned;
    readonly ILiteCollection<BsonDocument> verdicts;

    /// <summary>Keeps verdicts in <paramref name="database"/> (e.g. the studio's own), which the caller disposes.</summary>
    public JudgementCache(ILiteDatabase database) => verdicts = database.GetCollection(CollectionName);

    JudgementCache(LiteDatabase owned) : this((ILiteDatabase)owned) => this.owned = owned;

    /// <summary>A cache file of its own, opened shared so that the studio and the CLI can both use it.</summary>
    public static JudgementCache Open(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        return new JudgementCache(new LiteDatabase(new ConnectionString { Filename = file, Connection = ConnectionType.Shared }));
    }

    /// <summary>How many verdicts are kept.</summary>
    public int Count => verdicts.Count();

    /// <summary>The key of one row as judged by one judge under one rubric.</summary>
    public static string Key(string judge, RubricLanguage language, string system, string style, JudgeItem item)
    {
        // A JSON array keeps fields apart: no text can be split differently to give the same bytes.
        string canonical = System.Text.Json.JsonSerializer.Serialize(new[]
        {
            JudgeRubric.Version, language.Code(), judge, system, style, item.Source, item.Rewrite, item.Reference,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public RowJudgement? Find(string key, int row)
    {
        var document = verdicts.FindById(key);
        if (document is null) return null;
        var outcome = Enum.Parse<JudgeOutcome>(document["outcome"].AsString);
        JudgeScores? scores = outcome == JudgeOutcome.Scored
            ? new JudgeScores(document["style"].AsInt32, document["meaning"].AsInt32, document["fluency"].AsInt32,
                document["reason"].IsNull ? null : document["reason"].AsString)
            : null;
        var replies = document["replies"].AsArray.Select(r => r.AsString).ToList();
        return new RowJudgement(row, outcome, scores, replies, document["problem"].IsNull ? null : document["problem"].AsString, Cached: true);
    }

    /// <summary>Keeps a scored or malformed verdict; a transport error is not a verdict and is refused.</summary>
    public void Put(string key, RowJudgement judgement)
    {
        if (judgement.Outcome == JudgeOutcome.TransportError) throw new ArgumentException("a transport error is not a verdict; it is not cached");
        verdicts.Upsert(new BsonDocument
        {
            ["_id"] = key,
            ["outcome"] = judgement.Outcome.ToString(),
            ["style"] = Nullable(judgement.Scores?.Style),
            ["meaning"] = Nullable(judgement.Scores?.Meaning),
            ["fluency"] = Nullable(judgement.Scores?.Fluency),
            ["reason"] = judgement.Scores?.Reason is { } reason ? reason : BsonValue.Null,
            ["replies"] = new BsonArray(judgement.Replies.Select(r => new BsonValue(r))),
            ["problem"] = judgement.Problem is { } problem ? problem : BsonValue.Null,
            ["createdUtc"] = DateTime.UtcNow,
        });
    }

    static BsonValue Nullable(int? value) => value is { } v ? v : BsonValue.Null;

    public void Dispose() => owned?.Dispose();
}
