using LiteDB;
using StyleStudio.Data.Annotation;

namespace StyleStudio.Data.Storage;

/// <summary>Annotation projects and items to and from their documents (field names kept short and stable).</summary>
static class AnnotationDocuments
{
    public static string ItemKey(int project, int index) => $"{project}:{index:D6}";

    public static BsonDocument Item(int project, int index, AnnotationSource source, bool isDouble) => new()
    {
        ["_id"] = ItemKey(project, index), ["project"] = project, ["index"] = index, ["source"] = source.Text,
        ["draft"] = source.Draft is null ? BsonValue.Null : source.Draft, ["double"] = isDouble,
        ["assignments"] = new BsonArray(), ["submissions"] = new BsonArray(), ["review"] = BsonValue.Null, ["published"] = BsonValue.Null,
    };

    public static BsonDocument Assignment(AnnotationAssignment a) => new()
    {
        ["annotator"] = a.Annotator, ["status"] = a.Status.ToString(), ["reason"] = a.Reason is null ? BsonValue.Null : a.Reason, ["changedUtc"] = a.ChangedUtc,
    };

    public static BsonDocument Submission(AnnotationSubmission s) => new() { ["annotator"] = s.Annotator, ["text"] = s.Text, ["submittedUtc"] = s.SubmittedUtc };

    public static BsonDocument Review(AnnotationReview r) => new()
    {
        ["reviewer"] = r.Reviewer, ["accepted"] = r.AcceptedAnnotator is null ? BsonValue.Null : r.AcceptedAnnotator,
        ["comment"] = r.Comment is null ? BsonValue.Null : r.Comment, ["reviewedUtc"] = r.ReviewedUtc,
    };

    public static AnnotationItem Item(BsonDocument d) => new(d["project"].AsInt32, d["index"].AsInt32, d["source"].AsString, String(d["draft"]),
        d["double"].AsBoolean,
        d["assignments"].AsArray.Select(a => new AnnotationAssignment(a["annotator"].AsString, Enum.Parse<AssignmentStatus>(a["status"].AsString),
            String(a["reason"]), a["changedUtc"].AsDateTime.ToUniversalTime())).ToList(),
        d["submissions"].AsArray.Select(s => new AnnotationSubmission(s["annotator"].AsString, s["text"].AsString, s["submittedUtc"].AsDateTime.ToUniversalTime())).ToList(),
        d["review"].IsNull ? null : new AnnotationReview(d["review"]["reviewer"].AsString, String(d["review"]["accepted"]), String(d["review"]["comment"]),
            d["review"]["reviewedUtc"].AsDateTime.ToUniversalTime()),
        d["published"].IsNull ? null : d["published"].AsInt32);

    /// <summary>The item's document with <paramref name="item"/>'s assignments, submissions, review and publication.</summary>
    public static BsonDocument WithState(BsonDocument document, AnnotationItem item)
    {
        document["assignments"] = new BsonArray(item.Assignments.Select(Assignment));
        document["submissions"] = new BsonArray(item.Submissions.Select(Submission));
        document["review"] = item.Review is null ? BsonValue.Null : Review(item.Review);
        document["published"] = item.PublishedVersion is { } version ? version : BsonValue.Null;
        return document;
    }

    public static BsonDocument Project(AnnotationProjectSpec spec, int items) => new()
    {
        ["name"] = spec.Name, ["style"] = spec.StyleLabel, ["instruction"] = spec.Instruction, ["guidelines"] = spec.Guidelines,
        ["annotators"] = new BsonArray(spec.Annotators.Select(a => new BsonValue(a))), ["agreementShare"] = spec.AgreementShare,
        ["seed"] = spec.Seed, ["dataset"] = spec.TargetDataset, ["sourceDescription"] = spec.SourceDescription, ["items"] = items,
        ["createdUtc"] = DateTime.UtcNow,
    };

    public static AnnotationProject Project(BsonDocument d) => new(d["_id"].AsInt32, d["name"].AsString, d["style"].AsString,
        d["instruction"].AsString, d["guidelines"].AsString, d["annotators"].AsArray.Select(a => a.AsString).ToList(),
        d["agreementShare"].AsDouble, d["seed"].AsInt32, d["dataset"].AsString, d["sourceDescription"].AsString, d["items"].AsInt32,
        d["createdUtc"].AsDateTime.ToUniversalTime());

    static string? String(BsonValue value) => value.IsNull ? null : value.AsString;
}
