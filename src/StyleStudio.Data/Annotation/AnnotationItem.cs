namespace StyleStudio.Data.Annotation;

/// <summary>Where one annotator stands with one item.</summary>
public enum AssignmentStatus
{
    /// <summary>Given to the annotator, not yet written.</summary>
    Pending,
    Submitted,
    /// <summary>Handed back: another annotator may take the item.</summary>
    Skipped,
    /// <summary>Reported as unfit (garbled source, not translatable); the item goes to the reviewer, not to others.</summary>
    Flagged,
}

/// <param name="Reason">Why the item was flagged; null otherwise.</param>
public sealed record AnnotationAssignment(string Annotator, AssignmentStatus Status, string? Reason, DateTime ChangedUtc);

/// <summary>The target-style text one annotator wrote for an item (a later submission replaces their earlier one).</summary>
public sealed record AnnotationSubmission(string Annotator, string Text, DateTime SubmittedUtc);

/// <summary>The reviewer's verdict on an item.</summary>
/// <param name="AcceptedAnnotator">Whose submission became the pair; null when the item was rejected.</param>
public sealed record AnnotationReview(string Reviewer, string? AcceptedAnnotator, string? Comment, DateTime ReviewedUtc)
{
    public bool Accepted => AcceptedAnnotator is not null;
}

/// <summary>One source text of a project and everything that happened to it.</summary>
/// <param name="Index">0-based position in the project.</param>
/// <param name="Double">In the agreement sample: two different annotators write it.</param>
/// <param name="PublishedVersion">The version of the target dataset its accepted pair went into; null until published.</param>
public sealed record AnnotationItem(int ProjectId, int Index, string Source, string? Draft, bool Double,
    IReadOnlyList<AnnotationAssignment> Assignments, IReadOnlyList<AnnotationSubmission> Submissions, AnnotationReview? Review,
    int? PublishedVersion)
{
    /// <summary>How many annotators should write the item.</summary>
    public int Required => Double ? 2 : 1;

    /// <summary>Assignments that hold a place: being written, or written. Skipping gives the place back.</summary>
    public int Held => Assignments.Count(a => a.Status is AssignmentStatus.Pending or AssignmentStatus.Submitted);

    public bool Flagged => Assignments.Any(a => a.Status == AssignmentStatus.Flagged);

    public AssignmentStatus? StatusOf(string annotator) => Assignments.FirstOrDefault(a => a.Annotator == annotator)?.Status;

    public AnnotationSubmission? SubmissionOf(string annotator) => Submissions.FirstOrDefault(s => s.Annotator == annotator);

    /// <summary>Written by as many annotators as it needs (or reviewed anyway).</summary>
    public bool Done => Review is not null || Submissions.Count >= Required;

    /// <summary>
    /// Waits for the reviewer: not reviewed, nobody still writing it, and either written as often as it needs, flagged, or
    /// written once with no annotator left who could write it again.
    /// </summary>
    public bool AwaitsReview(int annotators) => Review is null && Assignments.All(a => a.Status != AssignmentStatus.Pending)
        && (Submissions.Count >= Required || Flagged || (Submissions.Count > 0 && Assignments.Count >= annotators));
}
