using System.CommandLine;
using StyleStudio.Data.Corpora;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio data corpus import|list|show|style|rm</c>: corpora of unpaired texts of one style (.txt, .md, .docx,
/// .pdf split into paragraphs, sentences or lines), the raw material pairs are mined or generated from. A file that
/// cannot be read, or holds no text, stores nothing and exits with 1.
/// </summary>
static class CorpusCommand
{
    public static Command Create()
    {
        var command = new Command("corpus", "Import, list, show, relabel and delete corpora of unpaired texts");
        command.Subcommands.Add(Import());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(SetStyle());
        command.Subcommands.Add(Remove());
        return command;
    }

    static Command Import()
    {
        var file = new Argument<FileInfo>("file") { Description = string.Join(", ", CorpusReader.Extensions) };
        var name = new Option<string?>("--name") { Description = "corpus name (default: the file name without extension)" };
        var style = new Option<string>("--style") { Description = "the style every text is in, e.g. 古风 or formal (default: none yet)", DefaultValueFactory = _ => "" };
        var split = new Option<string>("--split")
        {
            Description = "paragraphs (default), sentences, or lines (every non-empty line of a .txt exactly)",
            DefaultValueFactory = _ => "paragraphs",
        };
        split.AcceptOnlyFromAmong([.. CorpusSegmentations.Names]);
        var encoding = new Option<string?>("--encoding") { Description = $".txt and .md: {string.Join(", ", TextEncodings.Names)} (default: detected)" };
        var data = DataCommand.DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("import", "Read a file into a new corpus") { file, name, style, split, encoding, data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var path = parse.GetValue(file)!.FullName;
            var options = new CorpusImportOptions(parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(path), parse.GetValue(style)!,
                CorpusSegmentations.Parse(parse.GetValue(split)!), parse.GetValue(encoding));
            bool quiet = parse.GetValue(json);
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var progress = new Progress<long>(n => { if (!quiet) Console.Error.Write($"\r{n:N0} texts stored"); });
            var corpus = CorpusImporter.Import(store.Corpora, path, options, progress);
            if (quiet) CliOutput.PrintJson(corpus);
            else
            {
                Console.Error.WriteLine();
                Console.WriteLine($"imported corpus '{corpus.Name}': {corpus.Texts:N0} {corpus.Segmentation} from {corpus.SourceFile}" +
                                  (corpus.Style.Length > 0 ? $" · style {corpus.Style}" : $" · no style yet (set one: stylestudio data corpus style {corpus.Name} STYLE)"));
            }
            return 0;
        }));
        return command;
    }

    static Command List()
    {
        var data = DataCommand.DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the corpora: name, style, texts, segmentation, source file, created") { data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var all = store.Corpora.All();
            if (parse.GetValue(json)) CliOutput.PrintJson(all);
            else foreach (var c in all)
                Console.WriteLine($"{c.Name}\t{(c.Style.Length > 0 ? c.Style : "-")}\t{c.Texts:N0} {c.Segmentation}\t{c.SourceFile}\t{c.CreatedUtc:u}");
            return 0;
        }));
        return command;
    }

    static Command Show()
    {
        var name = new Argument<string>("name");
        var limit = new Option<int>("--limit") { Description = "how many texts to show (0: all)", DefaultValueFactory = _ => 10 };
        var data = DataCommand.DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("show", "Show a corpus and its first texts") { name, limit, data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            int wanted = parse.GetValue(limit);
            if (wanted < 0) throw new ArgumentException($"--limit {wanted}: give 0 (all) or more");
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var corpus = store.Corpora.Get(parse.GetValue(name)!);
            var shown = store.Corpora.Texts(corpus.Name, wanted == 0 ? int.MaxValue : wanted);
            if (parse.GetValue(json)) CliOutput.PrintJson(new { corpus, texts = shown });
            else
            {
                Console.WriteLine($"{corpus.Name}: {corpus.Texts:N0} {corpus.Segmentation} · style {(corpus.Style.Length > 0 ? corpus.Style : "-")} · " +
                                  $"from {corpus.SourceFile} · created {corpus.CreatedUtc:u}");
                foreach (var (text, i) in shown.Select((t, i) => (t, i))) Console.WriteLine($"{i + 1}\t{text.ReplaceLineEndings(" ")}");
                if (shown.Count < corpus.Texts) Console.WriteLine($"… {corpus.Texts - shown.Count:N0} more (--limit 0 shows all)");
            }
            return 0;
        }));
        return command;
    }

    static Command SetStyle()
    {
        var name = new Argument<string>("name");
        var style = new Argument<string>("style") { Description = "the new style label (\"\" for none)" };
        var data = DataCommand.DataFolder();
        var command = new Command("style", "Give a corpus's texts another style label") { name, style, data };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var corpus = store.Corpora.SetStyle(store.Corpora.Get(parse.GetValue(name)!).Name, parse.GetValue(style)!);
            Console.WriteLine($"{corpus.Name}: style {(corpus.Style.Length > 0 ? corpus.Style : "none")}");
            return 0;
        }));
        return command;
    }

    static Command Remove()
    {
        var name = new Argument<string>("name");
        var data = DataCommand.DataFolder();
        var command = new Command("rm", "Delete a corpus and its texts") { name, data };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var corpus = store.Corpora.Get(parse.GetValue(name)!);
            store.Corpora.Delete(corpus.Name);
            Console.WriteLine($"deleted corpus '{corpus.Name}' ({corpus.Texts:N0} texts)");
            return 0;
        }));
        return command;
    }
}
