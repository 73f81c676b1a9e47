using System.Text;
using System.Text.Json;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary>`data corpus import|list|show|style|rm` through the real program, on real files.</summary>
public sealed class CorpusCliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-cli-corpus-").FullName;
    string Data => Path.Combine(folder, "data");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static CliRunner.Result Succeeds(params string[] arguments)
    {
        var run = CliRunner.Run(arguments);
        Assert.True(run.ExitCode == 0, $"stylestudio {string.Join(' ', arguments)} exited {run.ExitCode}: {run.Stderr}");
        return run;
    }

    [Fact]
    public void A_text_file_and_a_Word_document_are_imported_listed_shown_relabelled_and_removed()
    {
        string txt = Path.Combine(folder, "临江仙.txt");
        File.WriteAllText(txt, "滚滚长江东逝水，浪花淘尽\n英雄。是非成败转头空。\n\n青山依旧在，几度\n夕阳红。\n", Encoding.Unicode);   // UTF-16 with BOM
        var import = Succeeds("data", "corpus", "import", txt, "--style", "古风", "--split", "sentences", "--data", Data);
        Assert.Contains("imported corpus '临江仙': 3 sentences from 临江仙.txt · style 古风", import.Stdout);

        string docx = Path.Combine(folder, "memo.docx");
        CorpusFiles.Docx(docx, ["Dear team, the U.S. office opens at 9 a.m. tomorrow.", "第二段。"], table: [[new("cell text")]], tableAfter: 0);
        var json = Succeeds("data", "corpus", "import", docx, "--name", "备忘", "--data", Data, "--json");
        var record = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(("备忘", "", "memo.docx", 3, "paragraphs"), (record.GetProperty("name").GetString(), record.GetProperty("style").GetString(),
            record.GetProperty("source_file").GetString(), record.GetProperty("texts").GetInt32(), record.GetProperty("segmentation").GetString()));

        var list = JsonDocument.Parse(Succeeds("data", "corpus", "list", "--data", Data, "--json").Stdout).RootElement;
        Assert.Equal(["临江仙", "备忘"], list.EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Contains("临江仙\t古风\t3 sentences\t临江仙.txt", Succeeds("data", "corpus", "list", "--data", Data).Stdout);

        var show = JsonDocument.Parse(Succeeds("data", "corpus", "show", "临江仙", "--limit", "2", "--data", Data, "--json").Stdout).RootElement;
        Assert.Equal(["滚滚长江东逝水，浪花淘尽英雄。", "是非成败转头空。"], show.GetProperty("texts").EnumerateArray().Select(t => t.GetString()));
        var text = Succeeds("data", "corpus", "show", "备忘", "--data", Data).Stdout;
        Assert.Contains("1\tDear team, the U.S. office opens at 9 a.m. tomorrow.\n2\tcell text\n3\t第二段。", text.ReplaceLineEndings("\n"));

        Assert.Contains("备忘: style formal", Succeeds("data", "corpus", "style", "备忘", "formal", "--data", Data).Stdout);
        Assert.Contains("deleted corpus '临江仙' (3 texts)", Succeeds("data", "corpus", "rm", "临江仙", "--data", Data).Stdout);
        var left = JsonDocument.Parse(Succeeds("data", "corpus", "list", "--data", Data, "--json").Stdout).RootElement;
        Assert.Equal(["备忘:formal"], left.EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()}:{c.GetProperty("style").GetString()}"));
    }

    [Fact]
    public void A_file_that_gives_no_corpus_exits_1_naming_it_and_stores_nothing()
    {
        string scan = Path.Combine(folder, "scan.pdf");
        CorpusFiles.PdfWithoutText(scan, 1);
        var run = CliRunner.Run("data", "corpus", "import", scan, "--data", Data);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: scan.pdf: none of its 1 page(s) has a text layer (a scanned PDF?)", run.Stderr);

        string blank = Path.Combine(folder, "blank.txt");
        File.WriteAllText(blank, "\n \n");
        run = CliRunner.Run("data", "corpus", "import", blank, "--data", Data);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: blank.txt: holds no text", run.Stderr);

        run = CliRunner.Run("data", "corpus", "show", "missing", "--data", Data);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: no corpus named 'missing'; corpora: none yet", run.Stderr);
        Assert.Equal("[]", Succeeds("data", "corpus", "list", "--data", Data, "--json").Stdout.Trim());
    }
}
