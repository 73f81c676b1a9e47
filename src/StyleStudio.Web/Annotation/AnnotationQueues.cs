using StyleStudio.Data.Annotation;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;

namespace StyleStudio.Web.Annotation;

/// <summary>
/// Annotation, the use case the annotation pages call: making a project from a corpus, a dataset or pasted lines (with
/// drafts a served model writes, if asked); giving
/// each annotator their next item and taking what they write, skip or flag; the reviewer's queue and verdicts; agreement
/// on the double-written sample; and publishing accepted pairs to the dataset. Every change is announced on
/// <see cref="AnnotationEvents"/>, so open pages follow without polling.
/// </summary>
/// <param name="generation">Writes drafts with a model; without it (a store-only setting) a request for model drafts fails.</param>
public sealed class AnnotationQueues(DataStore store, AnnotationEvents events, GenerationService? generation = null)
{
    /// <summary>Drafts in flight at once while a model writes them: they decode in one batch.</summary>
    const int Concurrency = 8;

    AnnotationStore Annotations => store.Annotations;

    public IReadOnlyList<AnnotationProject> All() => Annotations.All();

    public AnnotationProject Get(int id) => Annotations.Get(id);

    public IReadOnlyList<AnnotationItem> Items(int projectId) => Annotations.Items(projectId);

    public AnnotationProgress Progress(int projectId) => AnnotationProgress.Of(Get(projectId), Items(projectId));

    /// <summary>Makes a project; with <see cref="AnnotationRequest.DraftModel"/> the model first writes every draft, reporting progress.</summary>
    /// <exception cref="ArgumentException">A missing or wrong field, an unknown corpus, dataset or model, or an empty text (which one).</exception>
    public async Task<AnnotationProject> CreateAsync(AnnotationRequest request, IProgress<string>? progress = null, CancellationToken cancellation = default)
    {
        string instruction = request.Instruction.Trim();
        if (instruction.Length == 0 && FindStyle(request.StyleLabel.Trim()) is { Instruction.Length: > 0 } style) instruction = style.Instruction;
        if (request.Limit is < 1) throw new ArgumentException($"take at least 1 text, not {request.Limit}");
        var (sources, description) = Sources(request);
        if (request.Limit is { } limit) sources = sources.Take(limit).ToList();
        if (!string.IsNullOrWhiteSpace(request.DraftModel))
        {
            if (sources.Count > AnnotationStore.MaxItems) throw new ArgumentException($"{sources.Count:N0} source texts: a project holds at most {AnnotationStore.MaxItems:N0}");
            sources = await DraftAsync(request.DraftModel.Trim(), instruction, sources, request.DraftMaxNewTokens, progress, cancellation);
            description += $", drafts by {request.DraftModel.Trim()}";
        }
        var project = Annotations.Create(new AnnotationProjectSpec(request.Name, request.StyleLabel, instruction, request.Guidelines,
            request.AnnotatorNames(), request.AgreementPercent / 100, request.Seed, request.TargetDataset, description), sources);
        if (request.DealRoundRobin) Annotations.Deal(project.Id);
        events.Publish(new AnnotationUpdate(project.Id, null, "", AnnotationChange.Created));
        return project;
    }

    /// <summary>The model's greedy rewrite of each source as its draft, asked as a pair's query is (instruction, then text).</summary>
    async Task<IReadOnlyList<AnnotationSource>> DraftAsync(string modelId, string instruction, IReadOnlyList<AnnotationSource> sources, int maxNewTokens,
        IProgress<string>? progress, CancellationToken cancellation)
    {
        if (generation is null) throw new ArgumentException("no model can write drafts here");
        if (maxNewTokens < 1) throw new ArgumentException($"a draft needs at least 1 new token, not {maxNewTokens}");
        generation.Resolve(modelId);   // an unknown id fails here, naming what is available
        var model = new ServedStyleModel(generation, modelId, template: null, maxNewTokens);
        var drafts = new AnnotationSource[sources.Count];
        int done = 0;
        progress?.Report($"{modelId}: loading the model");
        await Parallel.ForEachAsync(Enumerable.Range(0, sources.Count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellation },
            async (i, token) =>
            {
                var query = new DatasetRow { Instruction = instruction, Input = sources[i].Text.Trim(), Output = "" }.Query;
                drafts[i] = sources[i] with { Draft = (await model.RewriteAsync(query, null, token)).Trim() };
                progress?.Report($"{modelId}: {Interlocked.Increment(ref done)} / {sources.Count} drafts");
            });
        return drafts;
    }

    StyleRecord? FindStyle(string label) =>
        label.Length == 0 ? null : store.Styles.Find(label) ?? store.Styles.All().FirstOrDefault(s => s.Label == label);

    (IReadOnlyList<AnnotationSource> Sources, string Description) Sources(AnnotationRequest request)
    {
        switch (request.SourceKind)
        {
            case AnnotationSourceKind.Corpus:
                if (string.IsNullOrWhiteSpace(request.Corpus)) throw new ArgumentException("choose the corpus whose texts to annotate");
                return (store.Corpora.Texts(request.Corpus).Select(t => new AnnotationSource(t)).ToList(), $"corpus {request.Corpus}");
            case AnnotationSourceKind.Dataset:
                if (string.IsNullOrWhiteSpace(request.Dataset)) throw new ArgumentException("choose the dataset whose inputs to annotate");
                var dataset = store.Find(request.Dataset);
                var rows = store.Rows(dataset.Id).Select(r => new AnnotationSource(string.IsNullOrEmpty(r.Input) ? r.Instruction : r.Input,
                    request.DraftsFromOutputs ? r.Output : null)).ToList();
                return (rows, $"dataset {dataset.Name} v{dataset.Version} inputs" + (request.DraftsFromOutputs ? ", outputs as drafts" : ""));
            default:
                var lines = request.Pasted.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0)
                    .Select(l => l.Split('\t', 2) is [var text, var draft] && draft.Trim().Length > 0 ? new AnnotationSource(text, draft.Trim()) : new AnnotationSource(l.Split('\t')[0]))
                    .ToList();
                return (lines, "pasted lines");
        }
    }

    /// <summary>The item <paramref name="annotator"/> works on now (theirs from now on), or null when none is left for them.</summary>
    public AnnotationItem? Next(int projectId, string annotator)
    {
        var item = Annotations.Next(projectId, annotator);
        if (item is not null && item.StatusOf(annotator.Trim()) == AssignmentStatus.Pending)
            events.Publish(new AnnotationUpdate(projectId, item.Index, annotator.Trim(), AnnotationChange.Assigned));
        return item;
    }

    /// <summary>How many items <paramref name="annotator"/> has written.</summary>
    public int WrittenBy(int projectId, string annotator) => Items(projectId).Count(i => i.SubmissionOf(annotator.Trim()) is not null);

    public AnnotationItem Submit(int projectId, int index, string annotator, string text) =>
        Announce(Annotations.Submit(projectId, index, annotator, text), annotator, AnnotationChange.Submitted);

    public AnnotationItem Skip(int projectId, int index, string annotator) =>
        Announce(Annotations.Skip(projectId, index, annotator), annotator, AnnotationChange.Skipped);

    public AnnotationItem Flag(int projectId, int index, string annotator, string reason) =>
        Announce(Annotations.Flag(projectId, index, annotator, reason), annotator, AnnotationChange.Flagged);

    /// <summary>Items waiting for the reviewer, in order.</summary>
    public IReadOnlyList<AnnotationItem> ReviewQueue(int projectId)
    {
        int annotators = Get(projectId).Annotators.Count;
        return Items(projectId).Where(i => i.AwaitsReview(annotators)).ToList();
    }

    /// <summary>Accepts <paramref name="annotator"/>'s text as the item's pair.</summary>
    public AnnotationItem Accept(int projectId, int index, string reviewer, string annotator, string? comment = null) =>
        Announce(Annotations.Review(projectId, index, reviewer, annotator, comment), reviewer, AnnotationChange.Reviewed);

    /// <summary>Rejects the item; <paramref name="comment"/> says why and is required.</summary>
    public AnnotationItem Reject(int projectId, int index, string reviewer, string comment) =>
        Announce(Annotations.Review(projectId, index, reviewer, null, comment), reviewer, AnnotationChange.Reviewed);

    public AgreementReport Agreement(int projectId) => AnnotationAgreement.Of(Items(projectId));

    /// <summary>Accepted pairs not published before become a new version of the project's dataset; null when there are none.</summary>
    public (DatasetSummary Dataset, int Pairs)? Publish(int projectId, string publisher)
    {
        var published = Annotations.Publish(projectId, publisher);
        if (published is not null) events.Publish(new AnnotationUpdate(projectId, null, publisher.Trim(), AnnotationChange.Published));
        return published;
    }

    AnnotationItem Announce(AnnotationItem item, string who, AnnotationChange change)
    {
        events.Publish(new AnnotationUpdate(item.ProjectId, item.Index, who.Trim(), change));
        return item;
    }
}
