using LiteDB;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Data.Annotation;
using StyleStudio.Data.Model;
using static StyleStudio.Data.Storage.AnnotationDocuments;

namespace StyleStudio.Data.Storage;

/// <summary>
/// Annotation projects in the studio's database: a document per project and one per item (keyed project:index), so
/// every change to an item — an assignment, a submission, a review — is one document update.
/// </summary>
/// <remarks>
/// Two annotators asking for work at once must never both get the same single-annotator item. Choosing an item is a
/// read-decide-write, and LiteDB's transactions do not detect a conflicting write between another transaction's read and
/// its own write (they only lock the collection for writing), so every read-decide-write here runs under one lock. That is
/// enough while one studio process serves the annotation pages (workers of a cluster never annotate); a second studio on
/// the same shared database would need each decision re-checked inside <see cref="IDocumentCollection.Change"/>.
/// </remarks>
public sealed class AnnotationStore
{
    /// <summary>Items one project may hold: plenty for people to write, few enough to scan for the next item.</summary>
    public const int MaxItems = 10_000;

    readonly IDocumentDatabase database;
    readonly DataStore store;
    readonly IDocumentCollection projects, items;
    readonly Lock gate = new();

    internal AnnotationStore(IDocumentDatabase database, DataStore store)
    {
        this.database = database;
        this.store = store;
        projects = database.Collection("annotation_projects", DocumentIds.Int32);
        items = database.Collection("annotation_items");
        projects.EnsureIndex("name", unique: true);
    }

    /// <summary>
    /// Makes a project of <paramref name="sources"/>; <see cref="AnnotationProjectSpec.AgreementShare"/> of them (rounded,
    /// chosen by a shuffle seeded with <see cref="AnnotationProjectSpec.Seed"/>) are written twice. All or nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Which field or text is wrong, and why.</exception>
    public AnnotationProject Create(AnnotationProjectSpec spec, IReadOnlyList<AnnotationSource> sources)
    {
        spec = spec.Checked(sources);
        var order = Enumerable.Range(0, sources.Count).ToArray();
        new Random(spec.Seed).Shuffle(order);
        var sample = order.Take((int)Math.Round(spec.AgreementShare * sources.Count)).ToHashSet();
        lock (gate)
        {
            if (projects.Exists(DocumentQuery.Eq("name", spec.Name))) throw new ArgumentException($"an annotation project named '{spec.Name}' exists already; choose another name");
            int id;
            using (var transaction = database.BeginTransaction())
            {
                id = projects.Insert(Project(spec, sources.Count)).AsInt32;
                items.InsertBulk(sources.Select((source, index) => AnnotationDocuments.Item(id, index, source with { Text = source.Text.Trim() }, sample.Contains(index))));
                transaction.Commit();
            }
            return Get(id);
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<AnnotationProject> All() => projects.FindAll().Select(Project).OrderByDescending(p => p.Id).ToList();

    public AnnotationProject Get(int id) => projects.FindById(id) is { } document ? Project(document) : throw new ArgumentException($"no annotation project with id {id}");

    /// <summary>Every item of the project, in order.</summary>
    public IReadOnlyList<AnnotationItem> Items(int projectId) => items.Find(DocumentQuery.StartsWith("_id", $"{projectId}:")).Select(AnnotationDocuments.Item).OrderBy(i => i.Index).ToList();

    public AnnotationItem Item(int projectId, int index) => AnnotationDocuments.Item(Document(projectId, index));

    /// <summary>
    /// The item <paramref name="annotator"/> should work on: the one they hold unwritten, else the first item that still
    /// needs an annotator, that they have never had, and that is neither flagged nor reviewed — which is then theirs.
    /// Null when nothing is left for them.
    /// </summary>
    public AnnotationItem? Next(int projectId, string annotator)
    {
        annotator = Annotator(projectId, annotator);
        lock (gate)
        {
            var all = Items(projectId);
            if (all.FirstOrDefault(i => i.StatusOf(annotator) == AssignmentStatus.Pending) is { } held) return held;
            var free = all.FirstOrDefault(i => i.Review is null && !i.Flagged && i.StatusOf(annotator) is null && i.Held < i.Required);
            return free is null ? null : Save(free with { Assignments = [.. free.Assignments, new(annotator, AssignmentStatus.Pending, null, DateTime.UtcNow)] });
        }
    }

    /// <summary>
    /// Deals every item that still needs annotators to the project's annotators in turn (round-robin; an item of the
    /// agreement sample to two different ones), so each has their share up front; <see cref="Next"/> then gives each
    /// their own dealt items first. What someone skips is still free for others.
    /// </summary>
    /// <returns>How many assignments were made.</returns>
    public int Deal(int projectId)
    {
        var annotators = Get(projectId).Annotators;
        lock (gate)
        {
            int turn = 0, dealt = 0;
            foreach (var item in Items(projectId).Where(i => i.Review is null && !i.Flagged && i.Held < i.Required))
            {
                var assignments = item.Assignments.ToList();
                int held = item.Held;
                for (int tried = 0; tried < annotators.Count && held < item.Required; tried++)
                {
                    string annotator = annotators[turn++ % annotators.Count];
                    if (assignments.Any(a => a.Annotator == annotator)) continue;
                    assignments.Add(new AnnotationAssignment(annotator, AssignmentStatus.Pending, null, DateTime.UtcNow));
                    (held, dealt) = (held + 1, dealt + 1);
                }
                Save(item with { Assignments = assignments });
            }
            return dealt;
        }
    }

    /// <summary>Saves what <paramref name="annotator"/> wrote for the item (replacing what they wrote before).</summary>
    public AnnotationItem Submit(int projectId, int index, string annotator, string text)
    {
        text = text.Trim();
        if (text.Length == 0) throw new ArgumentException($"item {index + 1}: the text is empty; write the {Get(projectId).StyleLabel} version, or skip the item");
        return Change(projectId, index, annotator, AssignmentStatus.Submitted, null, item => item with
        {
            Submissions = [.. item.Submissions.Where(s => s.Annotator != annotator.Trim()), new(annotator.Trim(), text, DateTime.UtcNow)],
        });
    }

    /// <summary>Hands an unwritten item back; another annotator may take it, this one is not given it again.</summary>
    public AnnotationItem Skip(int projectId, int index, string annotator) => Change(projectId, index, annotator, AssignmentStatus.Skipped, null, item => item);

    /// <summary>Reports an unwritten item as unfit; it goes to the reviewer with the reason, and to no other annotator.</summary>
    public AnnotationItem Flag(int projectId, int index, string annotator, string reason)
    {
        reason = reason.Trim();
        if (reason.Length == 0) throw new ArgumentException($"item {index + 1}: say why it is flagged");
        return Change(projectId, index, annotator, AssignmentStatus.Flagged, reason, item => item);
    }

    AnnotationItem Change(int projectId, int index, string annotator, AssignmentStatus status, string? reason, Func<AnnotationItem, AnnotationItem> more)
    {
        annotator = Annotator(projectId, annotator);
        lock (gate)
        {
            var item = Item(projectId, index);
            var assignment = item.Assignments.FirstOrDefault(a => a.Annotator == annotator)
                ?? throw new ArgumentException($"item {index + 1} is not assigned to {annotator}");
            if (item.Review is not null) throw new ArgumentException($"item {index + 1} was reviewed already; it cannot change");
            // A written item may be written again; one handed back or flagged is no longer the annotator's.
            bool allowed = assignment.Status == AssignmentStatus.Pending || (assignment.Status, status) == (AssignmentStatus.Submitted, AssignmentStatus.Submitted);
            if (!allowed) throw new ArgumentException($"{annotator} has {assignment.Status.ToString().ToLowerInvariant()} item {index + 1}; it cannot be {status.ToString().ToLowerInvariant()} now");
            var changed = item with { Assignments = item.Assignments.Select(a => a.Annotator == annotator ? new AnnotationAssignment(annotator, status, reason, DateTime.UtcNow) : a).ToList() };
            return Save(more(changed));
        }
    }

    /// <summary>The reviewer's verdict: accept one annotator's submission as the pair, or reject the item (with a comment).</summary>
    public AnnotationItem Review(int projectId, int index, string reviewer, string? acceptedAnnotator, string? comment)
    {
        reviewer = reviewer.Trim();
        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (reviewer.Length == 0) throw new ArgumentException("a review needs the reviewer's name");
        if (acceptedAnnotator is null && comment is null) throw new ArgumentException($"item {index + 1}: say why it is rejected");
        lock (gate)
        {
            var item = Item(projectId, index);
            if (item.PublishedVersion is { } version) throw new ArgumentException($"item {index + 1} was published in version {version} of the dataset; its review cannot change");
            if (acceptedAnnotator is not null && item.SubmissionOf(acceptedAnnotator) is null)
                throw new ArgumentException($"item {index + 1} has no submission from {acceptedAnnotator}");
            return Save(item with { Review = new AnnotationReview(reviewer, acceptedAnnotator, comment, DateTime.UtcNow) });
        }
    }

    /// <summary>
    /// Accepted pairs not published before become a new version of the project's dataset (created when absent), each row
    /// with its annotator as author; the items remember the version, so publishing again adds only newer ones.
    /// </summary>
    /// <returns>The dataset after publishing and the number of pairs added, or null (nothing new to publish).</returns>
    public (DatasetSummary Dataset, int Pairs)? Publish(int projectId, string publisher)
    {
        var project = Get(projectId);
        lock (gate)
        {
            var ready = Items(projectId).Where(i => i.Review is { Accepted: true } && i.PublishedVersion is null).ToList();
            if (ready.Count == 0) return null;
            var rows = ready.Select(i => new DatasetRow
            {
                Instruction = project.Instruction, Input = i.Source, Output = i.SubmissionOf(i.Review!.AcceptedAnnotator!)!.Text,
                Style = project.StyleLabel.Length > 0 ? project.StyleLabel : null, Author = i.Review.AcceptedAnnotator,
            }).ToList();
            string authors = string.Join(", ", rows.GroupBy(r => r.Author).Select(g => $"{g.Key} {g.Count()}"));
            var dataset = store.AddVersion(project.TargetDataset, rows, $"annotated: {rows.Count} pairs accepted in '{project.Name}'",
                $"published by {publisher.Trim()}; written by {authors}");
            foreach (var item in ready) Save(item with { PublishedVersion = dataset.Version });
            return (dataset, rows.Count);
        }
    }

    public void Delete(int projectId)
    {
        lock (gate)
        {
            items.DeleteMany(DocumentQuery.StartsWith("_id", $"{projectId}:"));
            projects.Delete(projectId);
        }
    }

    /// <summary>The name as the project lists it, or an error naming the project's annotators.</summary>
    string Annotator(int projectId, string annotator)
    {
        var project = Get(projectId);
        return project.Annotators.FirstOrDefault(a => a == annotator.Trim())
            ?? throw new ArgumentException($"'{annotator}' is not an annotator of '{project.Name}'; its annotators: {string.Join(", ", project.Annotators)}");
    }

    BsonDocument Document(int projectId, int index) => items.FindById(ItemKey(projectId, index))
        ?? throw new ArgumentException($"annotation project {projectId} has no item {index + 1}");

    AnnotationItem Save(AnnotationItem item)
    {
        items.Update(WithState(Document(item.ProjectId, item.Index), item));
        return item;
    }
}
