using System.Globalization;
using LiteDB;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Data.Rating;

namespace StyleStudio.Data.Storage;

/// <summary>
/// Rating studies and their ratings in the studio's database: a study document holds its items (a study is a few
/// hundred rows of text at most), and a rating document per (study, item, rater), keyed by the three, so saving a
/// judgement again replaces it and a rater who comes back finds every earlier one.
/// </summary>
public sealed class RatingStore
{
    /// <summary>Items a study may hold: enough for any human study, small enough for one document.</summary>
    public const int MaxItems = 1000;

    readonly IDocumentCollection studies, ratings;

    internal RatingStore(IDocumentDatabase database)
    {
        studies = database.Collection("rating_studies", DocumentIds.Int32);
        ratings = database.Collection("ratings");
        ratings.EnsureIndex("study");
    }

    /// <exception cref="ArgumentException">An empty or taken name, no items, too many, or the same name for both systems.</exception>
    public RatingStudy Create(string name, string dataset, int datasetVersion, string system1, string system2, IReadOnlyList<StudyItem> items)
    {
        name = name.Trim();
        if (name.Length == 0) throw new ArgumentException("a study needs a name");
        if (studies.Exists(DocumentQuery.Eq("name", name))) throw new ArgumentException($"a study named '{name}' exists already; choose another name");
        if (items.Count == 0) throw new ArgumentException("a study needs at least one item");
        if (items.Count > MaxItems) throw new ArgumentException($"{items.Count} items: a study holds at most {MaxItems}");
        if (system1 == system2) throw new ArgumentException($"both systems are '{system1}': a study compares two different systems");
        int id = studies.Insert(new BsonDocument
        {
            ["name"] = name, ["dataset"] = dataset, ["datasetVersion"] = datasetVersion,
            ["system1"] = system1, ["system2"] = system2, ["createdUtc"] = DateTime.UtcNow,
            ["items"] = new BsonArray(items.Select(i => new BsonDocument
            {
                ["source"] = i.Source, ["output1"] = i.Output1, ["output2"] = i.Output2, ["reference"] = i.Reference,
            })),
        }).AsInt32;
        return Get(id);
    }

    public RatingStudy Get(int id) => studies.FindById(id) is { } document ? Study(document) : throw new ArgumentException($"no rating study with id {id}");

    /// <summary>Newest first.</summary>
    public IReadOnlyList<RatingStudy> All() => studies.FindAll().Select(Study).OrderByDescending(s => s.Id).ToList();

    public void Delete(int id)
    {
        ratings.DeleteMany(DocumentQuery.Eq("study", id));
        studies.Delete(id);
    }

    /// <summary>Saves a judgement, replacing the rater's earlier one for the same item.</summary>
    /// <exception cref="ArgumentException">An unknown study or item, an empty rater name, or a score outside 1–5.</exception>
    public void Save(StudyRating rating)
    {
        var study = Get(rating.StudyId);
        if (rating.Item < 0 || rating.Item >= study.Items.Count)
            throw new ArgumentException($"study '{study.Name}' has items 0–{study.Items.Count - 1}, not {rating.Item}");
        string rater = rating.Rater.Trim();
        if (rater.Length == 0) throw new ArgumentException("a rating needs the rater's name");
        rating.System1Scores.Validate();
        rating.System2Scores.Validate();
        ratings.Upsert(new BsonDocument
        {
            ["_id"] = Key(rating.StudyId, rating.Item, rater),
            ["study"] = rating.StudyId, ["item"] = rating.Item, ["rater"] = rater,
            ["preference"] = rating.Preference.ToString(), ["swapped"] = rating.Swapped,
            ["scores1"] = Scores(rating.System1Scores), ["scores2"] = Scores(rating.System2Scores),
            ["ratedUtc"] = rating.RatedUtc,
        });
    }

    /// <summary>Every rating of a study, by item, then rater.</summary>
    public IReadOnlyList<StudyRating> Ratings(int studyId) =>
        ratings.Find(DocumentQuery.Eq("study", studyId)).Select(Rating).OrderBy(r => r.Item).ThenBy(r => r.Rater, StringComparer.Ordinal).ToList();

    static string Key(int study, int item, string rater) => string.Create(CultureInfo.InvariantCulture, $"{study}/{item}/{rater}");

    static BsonDocument Scores(AxisScores scores) => new()
    {
        ["style"] = Bson(scores.Style), ["meaning"] = Bson(scores.Meaning), ["fluency"] = Bson(scores.Fluency),
    };

    static AxisScores Scores(BsonValue value) => value.IsDocument
        ? new AxisScores(Int(value["style"]), Int(value["meaning"]), Int(value["fluency"]))
        : AxisScores.None;

    static BsonValue Bson(int? score) => score is { } value ? value : BsonValue.Null;

    static int? Int(BsonValue value) => value.IsNull ? null : value.AsInt32;

    static StudyRating Rating(BsonDocument d) => new(d["study"].AsInt32, d["item"].AsInt32, d["rater"].AsString,
        Enum.Parse<StudyPreference>(d["preference"].AsString), d["swapped"].AsBoolean, Scores(d["scores1"]), Scores(d["scores2"]),
        d["ratedUtc"].AsDateTime);

    static RatingStudy Study(BsonDocument d) => new(d["_id"].AsInt32, d["name"].AsString, d["dataset"].AsString, d["datasetVersion"].AsInt32,
        d["system1"].AsString, d["system2"].AsString,
        d["items"].AsArray.Select((item, index) => new StudyItem(index, item["source"].AsString, item["output1"].AsString,
            item["output2"].AsString, item["reference"].IsNull ? null : item["reference"].AsString)).ToList(),
        d["createdUtc"].AsDateTime);
}
