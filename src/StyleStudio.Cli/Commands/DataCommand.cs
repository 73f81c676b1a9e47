using System.CommandLine;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio data import|inspect</c>: datasets in the studio's data folder (LiteDB). An import that rejects rows
/// still keeps the good ones, prints every rejection (row, field, reason) and exits with 2, so scripts notice.
/// </summary>
static class DataCommand
{
    public const int RowsRejected = 2;

    public static Command Create()
    {
        var command = new Command("data", "Import and inspect datasets in the data folder");
        command.Subcommands.Add(Import());
        command.Subcommands.Add(Inspect());
        return command;
    }

    static Option<DirectoryInfo> DataFolder() => new("--data")
    {
        Description = "the data folder (default: $STYLESTUDIO_DATA, else ~/.local/share/StyleStudio)",
        DefaultValueFactory = _ => new DirectoryInfo(Environment.GetEnvironmentVariable("STYLESTUDIO_DATA")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "StyleStudio")),
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
            var (dataset, report) = store.Import(parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(path), path, options, progress);
            if (parse.GetValue(json))
                CliOutput.PrintJson(new
                {
                    dataset = dataset.Name, id = dataset.Id, rows = report.Imported, rejected = report.Rejected,
                    format = report.Format.ToString().ToLowerInvariant(), encoding = report.Encoding,
                    mapping = report.Mapping.ToString(), confidence = report.MappingConfidence, reason = report.MappingReason,
                    errors = report.Errors.Select(e => new { row = e.Location, field = e.Field, reason = e.Reason }),
                });
            else
            {
                Console.Error.WriteLine();
                Console.WriteLine($"imported '{dataset.Name}': {report.Imported:N0} rows, {report.Rejected:N0} rejected · " +
                                  $"{report.Format.ToString().ToLowerInvariant()}{(report.Encoding is null ? "" : $" {report.Encoding}")} · " +
                                  $"mapping {report.Mapping} (confidence {report.MappingConfidence:P0}: {report.MappingReason})");
                foreach (var error in report.Errors) Console.Error.WriteLine($"rejected {error}");
            }
            return report.Rejected > 0 ? RowsRejected : 0;
        }));
        return command;
    }

    static (string, string) ParseChoice(string text) => text.Split('=', 2) is [var column, var field] && column.Length > 0
        ? (column, field) : throw new ArgumentException($"--map {text}: expected COLUMN=FIELD");

    static Command Inspect()
    {
        var name = new Argument<string?>("name") { Description = "a dataset (omit to list all)", Arity = ArgumentArity.ZeroOrOne };
        var rows = new Option<int>("--rows") { Description = "how many rows to show", DefaultValueFactory = _ => 5 };
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("inspect", "List datasets, or show one: counts, rejected rows and the first rows") { name, rows, data, json };
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
            if (parse.GetValue(json))
                CliOutput.PrintJson(new { dataset, rows = sample, errors = rejected.Select(e => new { row = e.Location, field = e.Field, reason = e.Reason }) });
            else
            {
                Console.WriteLine($"{dataset.Name} v{dataset.Version}: {dataset.Rows:N0} rows, {dataset.Rejected:N0} rejected at import ({dataset.SourceFile})");
                foreach (var row in sample)
                    Console.WriteLine($"[{row.Style ?? "-"}] {row.Query.ReplaceLineEndings(" ")} → {row.Output.ReplaceLineEndings(" ")}");
                foreach (var error in rejected) Console.WriteLine($"rejected {error}");
            }
            return 0;
        }));
        return command;
    }
}
