using System.CommandLine;
using StyleStudio.Application.Datasets;
using StyleStudio.Data.Cleaning;
using StyleStudio.Data.Export;
using StyleStudio.Data.Import;
using StyleStudio.Data.Inspection;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio data import|inspect|clean|revert|remap|split|export|preview|rename|rm|corpus|mine</c>: datasets in the studio's data
/// folder (LiteDB). An import that rejects rows still keeps the good ones, prints every rejection (row, field, reason) and
/// exits with 2, so scripts notice; one that would keep no rows, or maps a column the file lacks, stores nothing and exits with 1.
/// </summary>
static class DataCommand
{
    public const int RowsRejected = 2;

    public static Command Create()
    {
        var command = new Command("data", "Import, inspect, clean, re-map, rename and delete datasets in the data folder");
        command.Subcommands.Add(Import());
        command.Subcommands.Add(Inspect());
        command.Subcommands.Add(Clean());
        command.Subcommands.Add(Revert());
        command.Subcommands.Add(Remap());
        command.Subcommands.Add(Rename());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(Split());
        command.Subcommands.Add(Export());
        command.Subcommands.Add(Preview());
        command.Subcommands.Add(CorpusCommand.Create());
        command.Subcommands.Add(MineCommand.Create());
        return command;
    }

    internal static Option<DirectoryInfo> DataFolder() => new("--data")
    {
        Description = "the data folder (default: $STYLESTUDIO_DATA, else ~/.local/share/StyleStudio)",
        DefaultValueFactory = _ => new DirectoryInfo(DataStore.DefaultFolder),
    };

    static Command Import()
    {
        var file = new Argument<FileInfo>("file") { Description = "JSON, JSONL, CSV, TSV, XLSX or Parquet" };
        var name = new Option<string?>("--name") { Description = "dataset name (default: the file name without extension)" };
        var format = new Option<string?>("--format") { Description = "jsonl, json, csv, tsv, xlsx or parquet (default: from the extension)" };
        var encoding = new Option<string?>("--encoding") { Description = $"{string.Join(", ", TextEncodings.Names)} (default: detected)" };
        var map = new Option<string[]>("--map") { Description = "COLUMN=FIELD, FIELD one of instruction, input, output, system, style, history, conversations, messages", AllowMultipleArgumentsPerToken = true };
        var style = new Option<string?>("--style") { Description = "one style label for rows without their own" };
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("import", "Import a file as a new dataset") { file, name, format, encoding, map, style, data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var path = parse.GetValue(file)!.FullName;
            var choices = (parse.GetValue(map) ?? []).Select(ParseChoice).ToList();
            var options = new ImportOptions(parse.GetValue(format) is { } f ? SourceFormats.Parse(f) : null, parse.GetValue(encoding), choices, parse.GetValue(style));
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var progress = new Progress<long>(n => { if (!parse.GetValue(json)) Console.Error.Write($"\r{n:N0} records read"); });
            DatasetSummary dataset;
            ImportReport report;
            try
            {
                (dataset, report) = store.Import(parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(path), path, options, progress);
            }
            catch (NothingImportedException e)
            {
                if (!parse.GetValue(json)) Console.Error.WriteLine();
                PrintRejections(e.Report);
                throw;
            }
            if (parse.GetValue(json))
                CliOutput.PrintJson(new
                {
                    dataset = dataset.Name, id = dataset.Id, rows = report.Imported, rejected = report.Rejected,
                    format = report.Format.ToString().ToLowerInvariant(), encoding = report.Encoding,
                    mapping = report.Mapping.ToString(), confidence = report.MappingConfidence, reason = report.MappingReason,
                    errors = report.Errors.Select(e => new { row = e.Location, field = e.Field, reason = e.Reason }),
                    rejectionReport = report.RejectionReport,
                });
            else
            {
                Console.Error.WriteLine();
                Console.WriteLine($"imported '{dataset.Name}': {report.Imported:N0} rows, {report.Rejected:N0} rejected · " +
                                  $"{report.Format.ToString().ToLowerInvariant()}{(report.Encoding is null ? "" : $" {report.Encoding}")} · " +
                                  $"mapping {report.Mapping} (confidence {report.MappingConfidence:P0}: {report.MappingReason})");
                PrintRejections(report);
                if (report.MappingConfidence < MappingPreview.ConfirmBelow)
                    Console.Error.WriteLine($"warning: the mapping is uncertain (confidence {report.MappingConfidence:P0}); check the rows with " +
                                            $"`stylestudio data inspect {dataset.Name}` and fix it with `stylestudio data remap {dataset.Name} --map COLUMN=FIELD`");
            }
            return report.Rejected > 0 ? RowsRejected : 0;
        }));
        return command;
    }

    /// <summary>The first rejected rows, then — when there were more — how many, and the file listing them all.</summary>
    static void PrintRejections(ImportReport report)
    {
        foreach (var error in report.Errors) Console.Error.WriteLine($"rejected {error}");
        if (report.ErrorsTruncated) Console.Error.WriteLine(report.RejectionSummary);
    }

    static string Buckets(Histogram histogram) => string.Join("  ", histogram.Counts.Select((count, i) => (count, i)).Where(p => p.count > 0)
        .Select(p => $"{histogram.Edges[p.i]}–{(p.i + 1 < histogram.Edges.Count ? histogram.Edges[p.i + 1] - 1 : int.MaxValue)}: {p.count:N0}"));

    static Option<string?> Tokenizer() => new("--tokenizer") { Description = "a model folder or tokenizer.json, to count tokens" };

    /// <summary>Tokens in a text, as the tokenizer that <c>--tokenizer</c> names counts them; loaded once, here.</summary>
    static Func<string, int> TokenCounter(string path)
    {
        var tokenizer = TextTokenizer.Load(path);
        return text => tokenizer.Encode(text).Length;
    }

    static Command Clean()
    {
        var name = new Argument<string>("name");
        var normalize = new Option<bool>("--normalize") { Description = "trim and Unicode NFC" };
        var foldWidth = new Option<bool>("--fold-width") { Description = "full-width letters and digits to half-width (punctuation kept)" };
        var dedup = new Option<bool>("--dedup") { Description = "remove exact duplicates" };
        var near = new Option<double?>("--near-dedup") { Description = "remove near-duplicates at this MinHash similarity (e.g. 0.85)" };
        var unchanged = new Option<bool>("--drop-unchanged") { Description = "remove rows whose output equals the input" };
        var minOutput = new Option<int?>("--min-output-tokens") { Description = "with --tokenizer: drop shorter answers" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "with --tokenizer: drop rows whose prompt + answer is longer" };
        var augment = new Option<int?>("--vary-instructions") { Description = "rewrite instructions into curated phrasings per style, with this seed" };
        var tokenizer = Tokenizer();
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("clean", "Apply cleaning steps; the result becomes a new version (revert undoes it)")
        {
            name, normalize, foldWidth, dedup, near, unchanged, minOutput, maxTokens, augment, tokenizer, data, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var steps = new List<CleaningStep>();
            if (parse.GetValue(normalize)) steps.Add(new NormalizeText());
            if (parse.GetValue(foldWidth)) steps.Add(new FoldWidth());
            if (parse.GetValue(dedup)) steps.Add(new ExactDuplicates());
            if (parse.GetValue(near) is { } threshold) steps.Add(new NearDuplicates(threshold));
            if (parse.GetValue(unchanged)) steps.Add(new DropUnchanged());
            if (parse.GetValue(minOutput) is not null || parse.GetValue(maxTokens) is not null)
            {
                string path = parse.GetValue(tokenizer) ?? throw new ArgumentException("token length filters need --tokenizer");
                steps.Add(new TokenLengthFilter(TokenCounter(path), parse.GetValue(minOutput) ?? 1, parse.GetValue(maxTokens) ?? int.MaxValue));
            }
            if (parse.GetValue(augment) is { } seed) steps.Add(new VaryInstructions(seed));
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var (dataset, reports) = store.Clean(parse.GetValue(name)!, steps);
            if (parse.GetValue(json)) CliOutput.PrintJson(new { dataset, steps = reports });
            else
            {
                foreach (var report in reports) Console.WriteLine(report);
                Console.WriteLine($"{dataset.Name} is now v{dataset.Version} with {dataset.Rows:N0} rows (undo: stylestudio data revert {dataset.Name} {dataset.Version - 1})");
            }
            return 0;
        }));
        return command;
    }

    static Command Revert()
    {
        var name = new Argument<string>("name");
        var version = new Argument<int>("version");
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("revert", "Make an earlier version of a dataset current again") { name, version, data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var dataset = store.Revert(parse.GetValue(name)!, parse.GetValue(version));
            if (parse.GetValue(json)) CliOutput.PrintJson(dataset);
            else Console.WriteLine($"{dataset.Name} is now v{dataset.Version} with {dataset.Rows:N0} rows");
            return 0;
        }));
        return command;
    }

    static Command Remap()
    {
        var name = new Argument<string>("name");
        var map = new Option<string[]>("--map") { Description = "COLUMN=FIELD over the dataset's current mapping", AllowMultipleArgumentsPerToken = true, Required = true };
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("remap", "Map the dataset's original file again (changed columns) into a new version") { name, map, data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            string wanted = parse.GetValue(name)!;
            var mapping = parse.GetValue(map)!.Select(ParseChoice).Aggregate(store.MappingOf(wanted) ?? store.PreviewRemap(wanted).Mapping, (m, c) => m.With(c.Item1, c.Item2));
            var (dataset, report) = store.Remap(wanted, mapping);
            if (parse.GetValue(json)) CliOutput.PrintJson(new { dataset, mapping = report.Mapping.ToString(), rejected = report.Rejected });
            else
            {
                Console.WriteLine($"{dataset.Name} is now v{dataset.Version} with {dataset.Rows:N0} rows, {report.Rejected:N0} rejected · mapping {report.Mapping} " +
                                  $"(undo: stylestudio data revert {dataset.Name} {dataset.Version - 1})");
                PrintRejections(report);
            }
            return report.Rejected > 0 ? RowsRejected : 0;
        }));
        return command;
    }

    static Command Rename()
    {
        var name = new Argument<string>("name");
        var newName = new Argument<string>("new-name");
        var data = DataFolder();
        var command = new Command("rename", "Rename a dataset") { name, newName, data };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var dataset = store.Rename(parse.GetValue(name)!, parse.GetValue(newName)!);
            Console.WriteLine($"renamed '{parse.GetValue(name)}' to '{dataset.Name}'");
            return 0;
        }));
        return command;
    }

    static Command Remove()
    {
        var name = new Argument<string>("name");
        var data = DataFolder();
        var command = new Command("rm", "Delete a dataset: every version, its rejected rows and its original file") { name, data };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var dataset = store.Find(parse.GetValue(name)!);
            int versions = store.Versions(dataset.Name).Count;
            store.Delete(dataset.Name);
            Console.WriteLine($"deleted '{dataset.Name}' ({versions} version{(versions == 1 ? "" : "s")}, {dataset.Rows:N0} rows in the current one) and its original file");
            return 0;
        }));
        return command;
    }

    static Command Split()
    {
        var name = new Argument<string>("name");
        var validation = new Option<double>("--validation") { Description = "a fraction (0.1) or a row count (200)", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("split", "Split into NAME.train and NAME.validation, stratified by style") { name, validation, seed, data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var dataset = store.Find(parse.GetValue(name)!);
            var (train, held) = DatasetSplitter.Split(store.Rows(dataset.Id).ToList(), parse.GetValue(validation), parse.GetValue(seed));
            string origin = $"split of {dataset.Name} v{dataset.Version} (seed {parse.GetValue(seed)})";
            var trainSet = store.Create($"{dataset.Name}.train", train, origin);
            var validationSet = store.Create($"{dataset.Name}.validation", held, origin);
            if (parse.GetValue(json)) CliOutput.PrintJson(new { train = trainSet, validation = validationSet });
            else Console.WriteLine($"{trainSet.Name}: {trainSet.Rows:N0} rows · {validationSet.Name}: {validationSet.Rows:N0} rows");
            return 0;
        }));
        return command;
    }

    static Command Export()
    {
        var name = new Argument<string>("name");
        var format = new Option<ExportFormat>("--format") { Description = "alpaca (JSONL) or sharegpt (JSON)", DefaultValueFactory = _ => ExportFormat.Alpaca };
        var output = new Option<DirectoryInfo>("--out") { Description = "folder for the file and dataset_info.json", Required = true };
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("export", "Write a dataset for LLaMA-Factory (data file + dataset_info.json entry)") { name, format, output, data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var dataset = store.Find(parse.GetValue(name)!);
            string path = DatasetExporter.Export(store.Rows(dataset.Id), parse.GetValue(output)!.FullName, dataset.Name, parse.GetValue(format));
            if (parse.GetValue(json)) CliOutput.PrintJson(new { file = path, dataset_info = Path.Combine(Path.GetDirectoryName(path)!, "dataset_info.json"), rows = dataset.Rows });
            else Console.WriteLine($"wrote {path} and its dataset_info.json entry '{dataset.Name}'");
            return 0;
        }));
        return command;
    }

    static Command Preview()
    {
        var name = new Argument<string>("name");
        var row = new Option<int>("--row") { Description = "1-based row of the current version", DefaultValueFactory = _ => 1 };
        var template = new Option<string>("--template") { Description = string.Join(", ", PromptTemplates.All.Select(t => t.Name)), DefaultValueFactory = _ => "qwen" };
        var cutoff = new Option<int>("--cutoff") { Description = "cutoff_len in tokens", DefaultValueFactory = _ => 2048 };
        var tokenizer = Tokenizer();
        tokenizer.Required = true;
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("preview", "Show a row as the trainer sees it: [masked], {trained} and <cut:…> tokens")
        {
            name, row, template, cutoff, tokenizer, data, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var dataset = store.Find(parse.GetValue(name)!);
            int wanted = parse.GetValue(row);
            var selected = store.Rows(dataset.Id).Skip(wanted - 1).FirstOrDefault()
                ?? throw new ArgumentException($"--row {wanted}: {dataset.Name} has {dataset.Rows:N0} rows");
            var preview = PromptPreview.Render(selected, PromptTemplates.Get(parse.GetValue(template)!), TextTokenizer.Load(parse.GetValue(tokenizer)!), parse.GetValue(cutoff));
            if (parse.GetValue(json)) CliOutput.PrintJson(preview);
            else
            {
                Console.WriteLine(string.Concat(preview.Segments.Select(s => s.Role switch
                {
                    TokenRole.Trained => "{" + s.Text + "}",
                    TokenRole.Removed => "<cut:" + s.Text + ">",
                    _ => "[" + s.Text + "]",
                })));
                Console.WriteLine($"{preview.TotalTokens} tokens, {preview.TrainedTokens} trained" +
                                  (preview.RemovedTokens > 0 ? $"; cutoff {parse.GetValue(cutoff)} removed {preview.RemovedTokens}" : ""));
            }
            return 0;
        }));
        return command;
    }

    static (string, string) ParseChoice(string text) => text.Split('=', 2) is [var column, var field] && column.Length > 0
        ? (column, field) : throw new ArgumentException($"--map {text}: expected COLUMN=FIELD");

    static Command Inspect()
    {
        var name = new Argument<string?>("name") { Description = "a dataset (omit to list all)", Arity = ArgumentArity.ZeroOrOne };
        var rows = new Option<int>("--rows") { Description = "how many rows to show", DefaultValueFactory = _ => 5 };
        var tokenizer = Tokenizer();
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("inspect", "List datasets, or show one: counts, versions, per-style statistics (with --tokenizer), rejected rows, first rows")
        {
            name, rows, tokenizer, data, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            if (parse.GetValue(name) is not { } wanted)
            {
                var all = store.Datasets();
                if (parse.GetValue(json)) CliOutput.PrintJson(all);
                else foreach (var d in all) Console.WriteLine($"{d.Name}\tv{d.Version}\t{d.Rows:N0} rows\t{d.Rejected:N0} rejected\t{d.SourceFile}");
                return 0;
            }
            var dataset = store.Find(wanted);
            var sample = store.Rows(dataset.Id).Take(parse.GetValue(rows)).ToList();
            var rejected = store.ImportErrors(dataset.Id).ToList();
            var versions = store.Versions(wanted);
            var mapping = store.MappingOf(wanted);
            var statistics = parse.GetValue(tokenizer) is { } path ? DatasetStatistics.Compute(store.Rows(dataset.Id), TokenCounter(path)) : null;
            if (parse.GetValue(json))
                CliOutput.PrintJson(new { dataset, mapping = mapping?.ToString(), versions, statistics, rows = sample, errors = rejected.Select(e => new { row = e.Location, field = e.Field, reason = e.Reason }) });
            else
            {
                Console.WriteLine($"{dataset.Name} v{dataset.Version}: {dataset.Rows:N0} rows, {dataset.Rejected:N0} rejected at import ({dataset.SourceFile})");
                if (mapping is not null) Console.WriteLine($"  mapping {mapping} (change it: stylestudio data remap {dataset.Name} --map COLUMN=FIELD)");
                foreach (var version in versions)
                    Console.WriteLine($"  v{version.Number}{(version.Number == dataset.Version ? "*" : "")} {version.Rows:N0} rows" +
                                      (version.Parent is { } parent ? $" from v{parent}" : "") + $": {string.Join("; ", version.Steps)}");
                foreach (var style in statistics ?? [])
                {
                    Console.WriteLine($"  style {style.Style}: {style.Rows:N0} rows; most common instruction {style.TopInstructionShare:P0}");
                    Console.WriteLine($"    answer tokens: {Buckets(style.OutputTokens)}");
                    foreach (var warning in style.Warnings) Console.WriteLine($"    warning: {warning}");
                }
                foreach (var row in sample)
                    Console.WriteLine($"[{row.Style ?? "-"}] {row.Query.ReplaceLineEndings(" ")} → {row.Output.ReplaceLineEndings(" ")}");
                foreach (var error in rejected) Console.WriteLine($"rejected {error}");
                if (dataset.Rejected > rejected.Count)
                    Console.WriteLine($"{dataset.Rejected:N0} rows rejected; the first {rejected.Count:N0} are listed, all are in {store.RejectionReportFile(dataset.Id)}");
            }
            return 0;
        }));
        return command;
    }
}
