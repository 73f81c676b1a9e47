using StyleStudio.Data.Annotation;

namespace StyleStudio.Web.Annotation;

/// <summary>How far a project is, counted over its items.</summary>
/// <param name="Done">Items written by as many annotators as they need (or reviewed anyway).</param>
/// <param name="Submissions">Texts written, all annotators together.</param>
/// <param name="Skipped">Times an annotator handed an item back.</param>
/// <param name="Flagged">Items an annotator reported as unfit.</param>
/// <param name="AwaitingReview">Items ready for the reviewer and not yet reviewed.</param>
/// <param name="Published">Accepted items whose pair is in the dataset.</param>
public sealed record AnnotationProgress(int Items, int Done, int Submissions, int Skipped, int Flagged, int AwaitingReview,
    int Accepted, int Rejected, int Published)
{
    public static AnnotationProgress Of(AnnotationProject project, IReadOnlyList<AnnotationItem> items) => new(
        items.Count,
        items.Count(i => i.Done),
        items.Sum(i => i.Submissions.Count),
        items.Sum(i => i.Assignments.Count(a => a.Status == AssignmentStatus.Skipped)),
        items.Count(i => i.Flagged),
        items.Count(i => i.AwaitsReview(project.Annotators.Count)),
        items.Count(i => i.Review is { Accepted: true }),
        items.Count(i => i.Review is { Accepted: false }),
        items.Count(i => i.PublishedVersion is not null));

    /// <summary>Accepted pairs not yet in the dataset.</summary>
    public int Unpublished => Accepted - Published;
}
