using StyleStudio.Data.Annotation;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Web.Annotation;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>
/// Annotation projects on a real store: who gets which item (the agreement sample by two different people, nobody twice,
/// skips and flags), two annotators at once never sharing an item, agreement as chrF, and publishing accepted pairs once.
/// </summary>
public abstract class AnnotationStoreTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("annotation-").FullName;
    readonly DataStore store;
    readonly AnnotationQueues queues;
    readonly List<AnnotationUpdate> updates = [];

    protected AnnotationStoreTests(IStoreBackend backend)
    {
        store = backend.Open(folder);
        var events = new AnnotationEvents();
        events.Subscribe(u => { lock (updates) updates.Add(u); });
        queues = new AnnotationQueues(store, events);
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    static IReadOnlyList<AnnotationSource> Texts(int count) => Enumerable.Range(1, count).Select(i => new AnnotationSource($"第{i}句现代文。")).ToList();

    AnnotationProject Project(int items, double share, params string[] annotators) => store.Annotations.Create(
        new AnnotationProjectSpec("古风标注", "古风", "将下文改写为古风：", "", annotators, share, 7, "annotated", "test"), Texts(items));

    /// <summary>Takes and writes items for <paramref name="annotator"/> until none is left; the indices written.</summary>
    List<int> WriteAll(int project, string annotator)
    {
        var written = new List<int>();
        while (store.Annotations.Next(project, annotator) is { } item)
        {
            store.Annotations.Submit(project, item.Index, annotator, $"{annotator}写{item.Index}");
            written.Add(item.Index);
        }
        return written;
    }

    [Fact]
    public void The_agreement_sample_is_seeded_and_each_of_its_items_goes_to_two_different_annotators_and_nobody_gets_an_item_twice()
    {
        var project = Project(20, 0.25, "Alice", "Bob", "Carol");
        var sample = store.Annotations.Items(project.Id).Where(i => i.Double).Select(i => i.Index).ToList();
        Assert.Equal(5, sample.Count);
        var again = store.Annotations.Create(new AnnotationProjectSpec("again", "古风", "x", "", ["Alice", "Bob"], 0.25, 7, "annotated", "test"), Texts(20));
        Assert.Equal(sample, store.Annotations.Items(again.Id).Where(i => i.Double).Select(i => i.Index));   // same seed, same sample
        var other = store.Annotations.Create(new AnnotationProjectSpec("other", "古风", "x", "", ["Alice", "Bob"], 0.25, 8, "annotated", "test"), Texts(20));
        Assert.NotEqual(sample, store.Annotations.Items(other.Id).Where(i => i.Double).Select(i => i.Index));

        // Alice writes everything she is given: every item once. Bob then gets the sample's items only, Carol nothing.
        Assert.Equal(Enumerable.Range(0, 20), WriteAll(project.Id, "Alice"));
        Assert.Equal(sample, WriteAll(project.Id, "Bob"));
        Assert.Empty(WriteAll(project.Id, "Carol"));
        foreach (var item in store.Annotations.Items(project.Id))
        {
            var who = item.Assignments.Select(a => a.Annotator).ToList();
            Assert.Equal(who.Distinct(), who);
            Assert.Equal(item.Double ? ["Alice", "Bob"] : new[] { "Alice" }, who);
            Assert.True(item.Done);
        }
        Assert.Equal(20, queues.ReviewQueue(project.Id).Count);
    }

    [Fact]
    public void An_annotator_keeps_the_item_they_hold_a_skipped_item_goes_to_someone_else_and_a_flagged_one_to_the_reviewer()
    {
        var project = Project(4, 0, "Alice", "Bob", "Carol");
        var first = store.Annotations.Next(project.Id, "Alice")!;
        Assert.Equal(0, first.Index);
        Assert.Equal(0, store.Annotations.Next(project.Id, "Alice")!.Index);   // asking again (a reload) gives the same item
        Assert.Equal(1, store.Annotations.Next(project.Id, "Bob")!.Index);     // not Alice's

        queues.Skip(project.Id, 0, "Alice");
        Assert.Equal(2, store.Annotations.Next(project.Id, "Alice")!.Index);   // not item 0 again
        Assert.Equal(1, store.Annotations.Next(project.Id, "Bob")!.Index);
        queues.Flag(project.Id, 1, "Bob", "原文不通");
        Assert.Equal(0, store.Annotations.Next(project.Id, "Bob")!.Index);     // the skipped item, free again
        Assert.Equal(0, store.Annotations.Next(project.Id, "Bob")!.Index);
        Assert.Equal(3, store.Annotations.Next(project.Id, "Carol")!.Index);   // never the flagged item 1

        var flagged = Assert.Single(queues.ReviewQueue(project.Id));
        Assert.Equal((1, "原文不通"), (flagged.Index, flagged.Assignments.Single().Reason));
        Assert.Equal(new AnnotationProgress(4, 0, 0, 1, 1, 1, 0, 0, 0), queues.Progress(project.Id));
        Assert.Equal([(0, "Alice", AnnotationChange.Skipped), (1, "Bob", AnnotationChange.Flagged)],
            updates.Where(u => u.Change is AnnotationChange.Skipped or AnnotationChange.Flagged).Select(u => (u.Item!.Value, u.Who, u.Change)));

        // What cannot be done says which item and why.
        Assert.Equal("item 3: say why it is flagged", Assert.Throws<ArgumentException>(() => queues.Flag(project.Id, 2, "Alice", " ")).Message);
        Assert.Contains("item 3: the text is empty", Assert.Throws<ArgumentException>(() => queues.Submit(project.Id, 2, "Alice", "  ")).Message);
        Assert.Equal("Alice has skipped item 1; it cannot be submitted now", Assert.Throws<ArgumentException>(() => queues.Submit(project.Id, 0, "Alice", "写")).Message);
        Assert.Equal("item 4 is not assigned to Alice", Assert.Throws<ArgumentException>(() => queues.Submit(project.Id, 3, "Alice", "写")).Message);
        Assert.Equal("'Dave' is not an annotator of '古风标注'; its annotators: Alice, Bob, Carol",
            Assert.Throws<ArgumentException>(() => queues.Next(project.Id, "Dave")).Message);
    }

    [Fact]
    public async Task Annotators_asking_at_the_same_time_never_get_the_same_item()
    {
        string[] annotators = ["Alice", "王芳", "Bob", "李雷", "Carol", "Dan"];
        var project = Project(240, 0, annotators);
        using var start = new Barrier(annotators.Length);
        // A thread each (long-running tasks), released together, so their requests overlap.
        var workers = annotators.Select(a => Task.Factory.StartNew(() => { start.SignalAndWait(); return (Annotator: a, Items: WriteAll(project.Id, a)); },
            TaskCreationOptions.LongRunning)).ToArray();
        var written = await Task.WhenAll(workers);

        var all = written.SelectMany(w => w.Items).ToList();
        Assert.Equal(Enumerable.Range(0, 240), all.Order());   // each item exactly once
        Assert.True(written.Count(w => w.Items.Count > 0) > 1, "the annotators should have shared the work");
        foreach (var item in store.Annotations.Items(project.Id))
            Assert.Equal(written.Single(w => w.Items.Contains(item.Index)).Annotator, Assert.Single(item.Assignments).Annotator);
    }

    [Fact]
    public void Items_dealt_round_robin_go_to_each_annotator_in_turn_and_the_sample_to_two()
    {
        var project = Project(8, 0.25, "Alice", "Bob", "Carol");
        Assert.Equal(10, store.Annotations.Deal(project.Id));   // 8 items, 2 of them twice
        var items = store.Annotations.Items(project.Id);
        var expected = new List<string[]>();
        int turn = 0;
        string[] names = ["Alice", "Bob", "Carol"];
        foreach (var item in items) expected.Add(Enumerable.Range(0, item.Required).Select(_ => names[turn++ % 3]).ToArray());
        Assert.Equal(expected, items.Select(i => i.Assignments.Select(a => a.Annotator).ToArray()));
        Assert.All(items, i => Assert.Equal(i.Required, i.Assignments.Select(a => a.Annotator).Distinct().Count()));
        Assert.Equal(0, store.Annotations.Deal(project.Id));   // nothing left to deal

        // Each goes through their own items first; what Alice skips, someone else can take once done with theirs.
        var alices = items.Where(i => i.StatusOf("Alice") == AssignmentStatus.Pending).Select(i => i.Index).ToList();
        Assert.Equal(alices[0], store.Annotations.Next(project.Id, "Alice")!.Index);
        store.Annotations.Skip(project.Id, alices[0], "Alice");
        Assert.Equal(alices.Skip(1), WriteAll(project.Id, "Alice"));
        var bobs = WriteAll(project.Id, "Bob");
        Assert.Equal(items.Where(i => i.StatusOf("Bob") == AssignmentStatus.Pending).Select(i => i.Index)
            .Concat(items[alices[0]].StatusOf("Bob") is null ? [alices[0]] : []), bobs);
    }

    [Fact]
    public void Agreement_is_the_chrF_between_the_two_annotators_texts_in_both_directions()
    {
        var project = Project(6, 0.5, "Alice", "Bob");
        var sample = store.Annotations.Items(project.Id).Where(i => i.Double).Select(i => i.Index).ToList();
        Assert.Equal(3, sample.Count);
        var texts = new Dictionary<(string, int), string>();
        string[] alice = ["今日天朗气清。", "吾甚念远方故人。", "此书吾三读之。"], bob = ["今日天气晴好。", "吾甚念远方之友。", "此书吾三读之。"];
        foreach (var (name, lines) in new[] { ("Alice", alice), ("Bob", bob) })
        {
            int n = 0;
            while (store.Annotations.Next(project.Id, name) is { } item)
                store.Annotations.Submit(project.Id, item.Index, name, item.Double ? lines[n++] : "单");
        }

        var report = queues.Agreement(project.Id);
        Assert.Equal(3, report.Sample);
        Assert.Equal(sample, report.Pairs.Select(p => p.Index));
        var expected = alice.Zip(bob, (a, b) => (ChrF.Characters.Sentence(a, [b]) + ChrF.Characters.Sentence(b, [a])) / 2).ToList();
        Assert.Equal(expected, report.Pairs.Select(p => p.ChrF));
        Assert.Equal(100, expected[2], 9);   // the same text agrees fully
        Assert.True(expected[0] < 60);
        Assert.Equal(expected.Average(), report.MeanSentenceChrF!.Value, 12);
        Assert.Equal((ChrF.Characters.Corpus(alice, [bob]) + ChrF.Characters.Corpus(bob, [alice])) / 2, report.CorpusChrF!.Value, 12);
        Assert.Null(queues.Agreement(Project2()).MeanSentenceChrF);   // nothing written twice yet: no number

        int Project2() => store.Annotations.Create(new AnnotationProjectSpec("empty", "古风", "x", "", ["Alice", "Bob"], 1, 1, "annotated", "t"), Texts(2)).Id;
    }

    [Fact]
    public void Accepted_pairs_become_a_dataset_version_with_their_authors_and_are_published_only_once()
    {
        store.Create("annotated", [new DatasetRow { Instruction = "旧", Input = "旧句", Output = "旧文" }], "test");
        var project = Project(3, 0, "Alice", "王芳");
        Assert.Equal(0, store.Annotations.Next(project.Id, "Alice")!.Index);
        Assert.Equal(1, store.Annotations.Next(project.Id, "王芳")!.Index);
        store.Annotations.Submit(project.Id, 1, "王芳", "王芳写1");
        Assert.Equal(2, store.Annotations.Next(project.Id, "王芳")!.Index);
        store.Annotations.Submit(project.Id, 2, "王芳", "王芳写2");
        store.Annotations.Submit(project.Id, 0, "Alice", "Alice写0");

        Assert.Contains("say why it is rejected", Assert.Throws<ArgumentException>(() => queues.Reject(project.Id, 1, "Lin", "")).Message);
        Assert.Equal("item 1 has no submission from 王芳", Assert.Throws<ArgumentException>(() => queues.Accept(project.Id, 0, "Lin", "王芳")).Message);
        queues.Accept(project.Id, 0, "Lin", "Alice");
        queues.Reject(project.Id, 1, "Lin", "意思不对");
        queues.Accept(project.Id, 2, "Lin", "王芳");
        Assert.Equal("item 1 was reviewed already; it cannot change", Assert.Throws<ArgumentException>(() => queues.Submit(project.Id, 0, "Alice", "再写")).Message);

        var (dataset, pairs) = queues.Publish(project.Id, "Lin")!.Value;
        Assert.Equal((2, 2, 3L), (pairs, dataset.Version, dataset.Rows));
        var rows = store.Rows(dataset.Id).ToList();
        Assert.Equal([("旧句", "旧文", null), ("第1句现代文。", "Alice写0", "Alice"), ("第3句现代文。", "王芳写2", "王芳")], rows.Select(r => (r.Input, r.Output, r.Author)));
        Assert.All(rows.Skip(1), r => Assert.Equal(("将下文改写为古风：", "古风"), (r.Instruction, r.Style)));
        var version = store.Versions("annotated").Last();
        Assert.Equal(["annotated: 2 pairs accepted in '古风标注'"], version.Steps);
        Assert.Equal("published by Lin; written by Alice 1, 王芳 1", version.Note);
        Assert.Null(queues.Publish(project.Id, "Lin"));   // nothing new: no new version
        Assert.Equal(2, store.Versions("annotated").Count);
        Assert.Contains("was published in version 2", Assert.Throws<ArgumentException>(() => queues.Reject(project.Id, 0, "Lin", "改主意")).Message);

        // The rejected item accepted after all: the next version adds that pair alone.
        queues.Accept(project.Id, 1, "Lin", "王芳");
        var (next, added) = queues.Publish(project.Id, "Lin")!.Value;
        Assert.Equal((1, 3, 4L), (added, next.Version, next.Rows));
        Assert.Equal(("王芳写1", "王芳"), (store.Rows(next.Id).Last().Output, store.Rows(next.Id).Last().Author));
        Assert.Equal(new AnnotationProgress(3, 3, 3, 0, 0, 0, 3, 0, 3), queues.Progress(project.Id));
    }

    [Theory]
    [InlineData("", "Alice,Bob", 0.1, "the project needs a name")]
    [InlineData("p", "Alice, Bob, Alice", 0.1, "annotator 'Alice' is listed twice")]
    [InlineData("p", "Alice", 0.1, "items written twice for agreement need two different annotators")]
    [InlineData("p", "", 0, "the project needs at least one annotator")]
    [InlineData("p", "Alice,Bob", 1.5, "the agreement share is a fraction from 0 to 1, not 1.5")]
    public void A_project_with_a_wrong_field_is_refused_saying_which(string name, string annotators, double share, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => store.Annotations.Create(new AnnotationProjectSpec(name, "古风", "x", "",
            annotators.Split(','), share, 1, "annotated", "t"), Texts(3)));
        Assert.StartsWith(message, error.Message);
        Assert.Empty(store.Annotations.All());
    }

    [Fact]
    public async Task A_project_is_made_from_a_corpus_a_dataset_with_drafts_or_pasted_lines_and_takes_the_style_s_instruction()
    {
        store.Styles.Create("古风", "", "改写成古风：", null, null);
        store.Corpora.Create("news", "现代文", "news.txt", ["第一句。", "第二句。", "第三句。"], "sentences");
        store.Create("pairs", [new DatasetRow { Instruction = "i", Input = "甲", Output = "甲古" }, new DatasetRow { Instruction = "乙", Output = "乙古" }], "t");
        var fromCorpus = await queues.CreateAsync(new AnnotationRequest { Name = "c", StyleLabel = "古风", Annotators = "Alice，王芳", TargetDataset = "out",
            SourceKind = AnnotationSourceKind.Corpus, Corpus = "news", Limit = 2 }, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(("改写成古风：", "corpus news", 2), (fromCorpus.Instruction, fromCorpus.SourceDescription, fromCorpus.Items));
        Assert.Equal(["Alice", "王芳"], fromCorpus.Annotators);
        Assert.Equal(["第一句。", "第二句。"], queues.Items(fromCorpus.Id).Select(i => i.Source));

        var fromDataset = await queues.CreateAsync(new AnnotationRequest { Name = "d", StyleLabel = "古风", Instruction = "自定", Annotators = "Alice", AgreementPercent = 0,
            TargetDataset = "out", SourceKind = AnnotationSourceKind.Dataset, Dataset = "pairs", DraftsFromOutputs = true }, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal("自定", fromDataset.Instruction);
        Assert.Equal([("甲", "甲古"), ("乙", "乙古")], queues.Items(fromDataset.Id).Select(i => (i.Source, i.Draft)));

        var pasted = await queues.CreateAsync(new AnnotationRequest { Name = "p", StyleLabel = "古风", Annotators = "Alice", AgreementPercent = 0, TargetDataset = "out",
            SourceKind = AnnotationSourceKind.Pasted, Pasted = "春天来了。\t春归矣。\r\n\n夜深了。\n" }, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal([("春天来了。", "春归矣。"), ("夜深了。", null)], queues.Items(pasted.Id).Select(i => (i.Source, i.Draft)));

        Assert.StartsWith("no corpus named 'nope'", (await Assert.ThrowsAsync<ArgumentException>(() => queues.CreateAsync(new AnnotationRequest
        { Name = "x", StyleLabel = "古风", Annotators = "Alice", TargetDataset = "out", Corpus = "nope" }, cancellation: TestContext.Current.CancellationToken))).Message);
        Assert.StartsWith("the project needs an instruction", (await Assert.ThrowsAsync<ArgumentException>(() => queues.CreateAsync(new AnnotationRequest
        { Name = "x", StyleLabel = "casual", Annotators = "Alice", AgreementPercent = 0, TargetDataset = "out", SourceKind = AnnotationSourceKind.Pasted, Pasted = "a" }, cancellation: TestContext.Current.CancellationToken))).Message);
        Assert.Equal("an annotation project named 'c' exists already; choose another name", (await Assert.ThrowsAsync<ArgumentException>(() => queues.CreateAsync(new AnnotationRequest
        { Name = "c", StyleLabel = "古风", Annotators = "Alice", AgreementPercent = 0, TargetDataset = "out", SourceKind = AnnotationSourceKind.Pasted, Pasted = "a" }, cancellation: TestContext.Current.CancellationToken))).Message);
    }
}

public sealed class AnnotationStoreTestsOnLiteDb() : AnnotationStoreTests(new LiteDbBackend());

public sealed class AnnotationStoreTestsOnPostgres(PostgresTestDatabase database) : AnnotationStoreTests(database.Backend()), IClassFixture<PostgresTestDatabase>;
