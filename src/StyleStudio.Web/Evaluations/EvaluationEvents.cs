using StyleStudio.Web.Services;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Evaluations;

/// <summary>Something that happened to an evaluation: rows done, or its status changed (with a message).</summary>
public sealed record EvaluationUpdate(int EvaluationId, EvaluationStatus Status, int Done, int Total, string? Message = null);

/// <summary>In-process notifier from evaluation jobs to the pages showing them (no polling); disposing the subscription ends it.</summary>
public sealed class EvaluationEvents : Notifier<EvaluationUpdate>;
