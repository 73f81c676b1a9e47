using StyleStudio.Data.Corpora;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>Files imported into the store as corpora: texts, labels, segmentation, progress, and nothing kept on failure.</summary>
public abstract class CorpusImportTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("corpus-import-").FullName;
    readonly IStoreBackend backend;
    readonly DataStore store;

    protected CorpusImportTests(IStoreBackend backend)
    {
        this.backend = backend;
        store = backend.Open(Path.Combine(folder, "data"));
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Reports as they happen (Progress&lt;T&gt; would post them later, on the thread pool).</summary>
    sealed class Recorded : IProgress<long>
    {
        public List<long> Reports { get; } = [];
        public void Report(long value) => Reports.Add(value);
    }

    CorpusRecord Import(string file, CorpusImportOptions options, IProgress<long>? progress = null) =>
        CorpusImporter.Import(store.Corpora, file, options, progress, TestContext.Current.CancellationToken);

    [Fact]
    public void A_Word_document_split_into_sentences_is_stored_with_its_style_file_and_segmentation()
    {
        var file = Path.Combine(folder, "文稿.docx");
        CorpusFiles.Docx(file, ["他说：「今天天气很好。我们出去吧。」然后就走了。", "Mr. Smith arrived. He sat down."]);
        var corpus = Import(file, new CorpusImportOptions("现代文", " 现代文 ", CorpusSegmentation.Sentences));
        Assert.Equal(("现代文", "现代文", "文稿.docx", 4, "sentences"), (corpus.Name, corpus.Style, corpus.SourceFile, corpus.Texts, corpus.Segmentation));
        Assert.Equal(["他说：「今天天气很好。我们出去吧。」", "然后就走了。", "Mr. Smith arrived.", "He sat down."], store.Corpora.Texts("现代文"));
    }

    [Fact]
    public void A_big_file_reports_progress_as_texts_are_stored_and_keeps_every_line_in_order()
    {
        var file = Path.Combine(folder, "lines.txt");
        File.WriteAllLines(file, Enumerable.Range(1, 2_500).Select(i => $"第{i}句。"));
        var progress = new Recorded();
        var corpus = Import(file, new CorpusImportOptions("big", Segmentation: CorpusSegmentation.Lines), progress);
        Assert.Equal([1_000, 2_000, 2_500], progress.Reports);
        Assert.Equal(2_500, corpus.Texts);
        Assert.Equal(Enumerable.Range(1, 2_500).Select(i => $"第{i}句。"), store.Corpora.Texts("big"));
        Assert.Equal(Enumerable.Range(1, 1_500).Select(i => $"第{i}句。"), store.Corpora.Texts("big", 1_500));   // across chunks of 1,000
    }

    [Fact]
    public void A_file_without_text_a_bad_file_or_a_taken_name_stores_nothing_and_says_why()
    {
        var blank = Path.Combine(folder, "blank.txt");
        File.WriteAllText(blank, "\n   \n\t\n");
        var error = Assert.Throws<CorpusFileException>(() => Import(blank, new CorpusImportOptions("blank")));
        Assert.Equal("blank.txt: holds no text (only blank lines, or markup without prose); nothing was imported", error.Message);

        var markup = Path.Combine(folder, "code.md");
        File.WriteAllText(markup, "```\ncode only\n```\n");
        Assert.Throws<CorpusFileException>(() => Import(markup, new CorpusImportOptions("code")));

        var scanned = Path.Combine(folder, "scan.pdf");
        CorpusFiles.PdfWithoutText(scanned, 1);
        Assert.Contains("scan.pdf: none of its 1 page(s) has a text layer",
            Assert.Throws<CorpusFileException>(() => Import(scanned, new CorpusImportOptions("scan"))).Message);
        Assert.Empty(store.Corpora.All());

        var good = Path.Combine(folder, "good.txt");
        File.WriteAllText(good, "一句。\n");
        Import(good, new CorpusImportOptions("good"));
        Assert.Equal("a corpus named 'good' already exists",
            Assert.Throws<ArgumentException>(() => Import(good, new CorpusImportOptions("good"))).Message);
        Assert.Equal(["good"], store.Corpora.All().Select(c => c.Name));
    }
}

public sealed class CorpusImportTestsOnLiteDb() : CorpusImportTests(new LiteDbBackend());

public sealed class CorpusImportTestsOnPostgres(PostgresTestDatabase database) : CorpusImportTests(database.Backend()), IClassFixture<PostgresTestDatabase>;
