using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using StyleStudio.Data.Corpora;
using StyleStudio.Data.Import;
using StyleStudio.Data.Model;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio data mine --source A.txt --target B.txt --out pairs.jsonl</c>: finds the pairs hidden in two unaligned
/// files of one text per line (news and the posts that retell it, 现代文 and 古文) and writes the accepted ones as JSON
/// Lines {"input", "output", "score"}, best first; with <c>--dataset</c> they also become a version of a dataset.
/// </summary>
static class MineCommand
{
    static readonly JsonSerializerOptions Lines = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var source = new Option<FileInfo>("--source") { Description = "texts in the source style: a .txt with one per line (blank lines skipped), or .md, .docx, .pdf paragraphs", Required = true };
        var target = new Option<FileInfo>("--target") { Description = "texts in the target style, one per line", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "where to write the accepted pairs (JSON Lines: input, output, score)", Required = true };
        var threshold = new Option<double>("--threshold")
        {
            Description = $"accept pairs scoring at least this, 0–1 (default {PairMiner.DefaultThreshold}; higher = fewer, surer pairs)",
            DefaultValueFactory = _ => PairMiner.DefaultThreshold,
        };
        var order = new Option<CorpusOrder>("--order")
        {
            Description = "auto (detect), same (both files follow one document order) or unrelated",
            DefaultValueFactory = _ => CorpusOrder.Auto,
        };
        var lexical = new Option<bool>("--lexical-only")
        {
            Description = "compare words only; by default English texts are also compared by meaning (all-MiniLM-L6-v2, shipped with the studio)",
        };
        var all = new Option<bool>("--all") { Description = "write every one-to-one candidate, each with \"accepted\": true/false" };
        var encoding = new Option<string?>("--encoding") { Description = $"{string.Join(", ", TextEncodings.Names)} (default: detected per file)" };
        var dataset = new Option<string?>("--dataset") { Description = "also add the accepted pairs to this dataset as a new version (created if absent)" };
        var style = new Option<string?>("--style") { Description = "style label of the pairs stored with --dataset" };
        var instruction = new Option<string?>("--instruction") { Description = "instruction of the pairs stored with --dataset, e.g. 将下文改写成古文：" };
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "the data folder for --dataset (default: $STYLESTUDIO_DATA, else ~/.local/share/StyleStudio)",
            DefaultValueFactory = _ => new DirectoryInfo(DataStore.DefaultFolder),
        };
        var json = CommonOptions.Json();
        var command = new Command("mine", "Find the pairs hidden in two unaligned files of texts in two styles")
        {
            source, target, output, threshold, order, lexical, all, encoding, dataset, style, instruction, data, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            double accept = parse.GetValue(threshold);
            if (accept is < 0 or > 1) throw new ArgumentException($"--threshold {accept} is outside 0–1");
            var sources = ReadTexts(parse.GetValue(source)!, parse.GetValue(encoding));
            var targets = ReadTexts(parse.GetValue(target)!, parse.GetValue(encoding));
            bool quiet = parse.GetValue(json);
            var progress = new Progress<double>(p => { if (!quiet) Console.Error.Write($"\rmining {p:P0}"); });
            var encoder = parse.GetValue(lexical) ? null : MiniLmSentenceEncoder.Shared;
            var result = PairMiner.Mine(sources, targets, new MiningOptions(accept, parse.GetValue(order), Encoder: encoder), progress);
            if (!quiet) Console.Error.WriteLine();
            var accepted = result.Accepted.ToList();
            string path = parse.GetValue(output)!.FullName;
            WritePairs(path, parse.GetValue(all) ? result.Candidates : accepted, result.Threshold, sources, targets, parse.GetValue(all));
            DatasetSummary? stored = null;
            if (parse.GetValue(dataset) is { } name)
            {
                using var store = DataStore.Open(parse.GetValue(data)!.FullName);
                var rows = accepted.Select(p => new DatasetRow
                {
                    Instruction = parse.GetValue(instruction) ?? "", Input = sources[p.Source], Output = targets[p.Target],
                    Style = parse.GetValue(style), Score = Math.Round(p.Score, 4),
                });
                stored = store.AddVersion(name, rows, $"mined {accepted.Count} pairs from {parse.GetValue(source)!.Name} × {parse.GetValue(target)!.Name} at threshold {result.Threshold}");
            }
            if (quiet)
                CliOutput.PrintJson(new
                {
                    sources = sources.Count, targets = targets.Count, candidates = result.Candidates.Count, accepted = accepted.Count,
                    threshold = result.Threshold, orderUsed = result.OrderUsed, meaningModel = result.MeaningModel, @out = path,
                    dataset = stored?.Name, version = stored?.Version,
                });
            else
            {
                Console.WriteLine($"{accepted.Count} pairs accepted of {result.Candidates.Count} candidates ({sources.Count} source and {targets.Count} target texts, " +
                                  $"threshold {result.Threshold}{(result.OrderUsed ? ", document order used" : "")}" +
                                  $"{(result.MeaningModel is { } model ? $", meaning compared with {model}" : "")}) → {path}");
                if (stored is not null) Console.WriteLine($"dataset {stored.Name} version {stored.Version}: {stored.Rows} rows");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>One text per non-blank line of a text file (trimmed), or the paragraphs of a Markdown, Word or PDF file; a file
    /// of another extension is read as plain text, one text per line.</summary>
    static List<string> ReadTexts(FileInfo file, string? encoding)
    {
        if (!file.Exists) throw new FileNotFoundException($"{file.FullName} does not exist");
        bool known = CorpusReader.Extensions.Contains(file.Extension.ToLowerInvariant());
        var texts = (known ? CorpusReader.ReadLines(file.FullName, encoding) : PlainLines(file.FullName, encoding)).ToList();
        if (texts.Count == 0) throw new ArgumentException($"{file.FullName} holds no text (one text per line is expected)");
        return texts;
    }

    static IEnumerable<string> PlainLines(string path, string? encoding)
    {
        TextEncodings.EnsureCodePages();
        return File.ReadLines(path, TextEncodings.Strict(encoding ?? TextEncodings.Detect(path).Name))
            .Select(line => line.Trim().Trim('\uFEFF')).Where(line => line.Length > 0);
    }

    static void WritePairs(string path, IEnumerable<MinedPair> pairs, double threshold, IReadOnlyList<string> sources, IReadOnlyList<string> targets, bool withVerdict)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var writer = new StreamWriter(path + ".tmp", false, new UTF8Encoding(false)))
            foreach (var pair in pairs)
            {
                var line = new Dictionary<string, object> { ["input"] = sources[pair.Source], ["output"] = targets[pair.Target], ["score"] = Math.Round(pair.Score, 4) };
                if (withVerdict) line["accepted"] = pair.Score >= threshold;
                writer.WriteLine(JsonSerializer.Serialize(line, Lines));
            }
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
