using StyleStudio.Web.Services;

namespace StyleStudio.Web.Annotation;

/// <summary>What happened in an annotation project.</summary>
public enum AnnotationChange { Created, Assigned, Submitted, Skipped, Flagged, Reviewed, Published }

/// <summary>Something that happened to an item (or, with no item, to the project) and who did it.</summary>
public sealed record AnnotationUpdate(int ProjectId, int? Item, string Who, AnnotationChange Change);

/// <summary>
/// In-process notifier from the annotation service to the pages showing a project, so the reviewer's page shows an item
/// the moment an annotator submits it (no polling); disposing the subscription ends it.
/// </summary>
public sealed class AnnotationEvents : Notifier<AnnotationUpdate>;
