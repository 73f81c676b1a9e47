using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using StyleStudio.Data.Import;
using StyleStudio.Evaluation;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Serving;
using StyleStudio.Training;
using StyleStudio.Training.Templates;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio eval --model DIR [--adapter DIR] --dataset FILE [--template NAME] [--limit N] [--out FILE]</c>: rewrites
/// each row's input greedily and scores the rewrites against the row outputs with sacreBLEU-exact BLEU, chrF and chrF++,
/// plus the perplexity of the reference answers under the model, overall and per style; --out writes every row with its
/// prediction and sentence scores as JSONL.
/// </summary>
static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var adapter = new Option<DirectoryInfo?>("--adapter") { Description = "a PEFT adapter folder (a run's output)" };
        var dataset = new Option<FileInfo>("--dataset") { Description = "held-out pairs: any format `data import` reads", Required = true };
        var template = new Option<string>("--template") { Description = "the template the model was trained with", DefaultValueFactory = _ => "qwen" };
        var limit = new Option<int?>("--limit") { Description = "evaluate the first N rows only" };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 256 };
        var tokenize = new Option<string>("--tokenize") { Description = "BLEU tokenization: auto (zh for Chinese references), 13a or zh", DefaultValueFactory = _ => "auto" };
        var output = new Option<FileInfo?>("--out") { Description = "write each row, its prediction and sentence scores as JSONL" };
        var device = CommonOptions.Device();
        var dtype = CommonOptions.DType();
        var json = CommonOptions.Json();
        var command = new Command("eval", "Score a model's rewrites of held-out pairs: BLEU, chrF, chrF++ (sacreBLEU-exact)")
        {
            model, adapter, dataset, template, limit, maxNew, tokenize, output, device, dtype, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            MtTokenization? tokenization = parse.GetValue(tokenize) switch
            {
                "auto" => null,
                "13a" => MtTokenization.Thirteen,
                "zh" => MtTokenization.Chinese,
                var other => throw new ArgumentException($"--tokenize {other}: choose auto, 13a or zh"),
            };
            var (rows, report) = DatasetImporter.ReadAll(parse.GetValue(dataset)!.FullName);
            foreach (var error in report.Errors.Take(20)) Console.Error.WriteLine($"skipped {error}");
            if (parse.GetValue(limit) is { } count) rows = rows.Take(count).ToList();
            if (rows.Count == 0) throw new ArgumentException($"{parse.GetValue(dataset)!.FullName}: no usable rows");

            // Rows decode together on the serving engine, the adapter attached unmerged, as in the studio.
            var served = Served.Of(parse.GetValue(model)!, parse.GetValue(adapter));
            using var host = new ModelHost(new ServingOptions { SlotTokens = int.MaxValue },
                ModelLoadOptions.Named(parse.GetValue(device), parse.GetValue(dtype)!));
            var service = new GenerationService(host, new FixedModelDirectory(served));
            bool asJson = parse.GetValue(json);
            var progress = new Progress<int>(done => { if (!asJson) Console.Error.Write($"\rrewritten {done}/{rows.Count}"); });
            var styleModel = new ServedStyleModel(service, served.Id, PromptTemplates.Get(parse.GetValue(template)!).Name, parse.GetValue(maxNew));
            var result = StyleEvaluator.RunAsync(styleModel, rows, tokenization, progress).GetAwaiter().GetResult();

            if (parse.GetValue(output) is { } file)
            {
                var lineOptions = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
                File.WriteAllLines(file.FullName, result.Rows.Select(r => JsonSerializer.Serialize(r, lineOptions)));
            }
            if (asJson)
            {
                CliOutput.PrintJson(new { Tokenize = result.Tokenization == MtTokenization.Chinese ? "zh" : "13a", result.Overall, result.ByStyle });
                return 0;
            }
            Console.Error.WriteLine();
            Console.WriteLine($"{"style",-24} {"rows",6} {"BLEU",7} {"chrF",7} {"chrF++",7} {"ref PPL",9}   (BLEU tokenize: {(result.Tokenization == MtTokenization.Chinese ? "zh" : "13a")})");
            foreach (var s in result.ByStyle.Append(result.Overall))
                Console.WriteLine($"{s.Style,-24} {s.Rows,6} {s.Bleu,7:F2} {s.ChrF,7:F2} {s.ChrFPlusPlus,7:F2} {s.ReferencePerplexity,9:F3}");
            return 0;
        }));
        return command;
    }
}
