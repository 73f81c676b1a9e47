using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using StyleStudio.Data.Import;
using StyleStudio.Evaluation;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Evaluation.Style;
using StyleStudio.Serving;
using StyleStudio.Training;
using StyleStudio.Training.Templates;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio eval --model DIR [--adapter DIR] --dataset FILE [--template NAME] [--limit N] [--out FILE]</c>: rewrites
/// each row's input greedily and judges the rewrites as the studio's evaluation page does: sacreBLEU-exact BLEU, chrF,
/// chrF++, TER and METEOR (NLTK) against the row outputs, self-BLEU against the inputs, style accuracy (a classifier trained on the
/// dataset), fluency under the base model and the joint score, plus the perplexity of the reference answers, overall and
/// per style; --out writes every row with its prediction and sentence scores as JSONL.
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
        var tokenize = new Option<string>("--tokenize") { Description = "BLEU tokenization: auto (zh for Chinese references), 13a, zh, intl, char or none", DefaultValueFactory = _ => "auto" };
        var output = new Option<FileInfo?>("--out") { Description = "write each row, its prediction and sentence scores as JSONL" };
        var device = CommonOptions.Device();
        var dtype = CommonOptions.DType();
        var json = CommonOptions.Json();
        var command = new Command("eval", "Judge a model's rewrites of held-out pairs: style accuracy, content (BLEU, chrF, TER), fluency, joint score")
        {
            model, adapter, dataset, template, limit, maxNew, tokenize, output, device, dtype, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            MtTokenization? tokenization = parse.GetValue(tokenize) switch
            {
                "auto" => null,
                var name => MtTokenizationNames.Parse(name!),
            };
            var (rows, report) = DatasetImporter.ReadAll(parse.GetValue(dataset)!.FullName);
            foreach (var error in report.Errors.Take(20)) Console.Error.WriteLine($"skipped {error}");
            if (rows.Count == 0) throw new ArgumentException($"{parse.GetValue(dataset)!.FullName}: no usable rows");
            // The style judge learns from every row (answers vs sources), the model is judged on the first N.
            StyleClassifier? classifier = null;
            try { classifier = StyleClassifier.Train(rows); }
            catch (ArgumentException e) { Console.Error.WriteLine($"style accuracy not judged: {e.Message}"); }
            if (parse.GetValue(limit) is { } count) rows = rows.Take(count).ToList();

            // Rows decode together on the serving engine, the adapter attached unmerged, as in the studio.
            var served = Served.Of(parse.GetValue(model)!, parse.GetValue(adapter));
            using var host = new ModelHost(new ServingOptions { SlotTokens = int.MaxValue },
                ModelLoadOptions.Named(parse.GetValue(device), parse.GetValue(dtype)!));
            var service = new GenerationService(host, new FixedModelDirectory(served));
            bool asJson = parse.GetValue(json);
            var progress = new Progress<int>(done => { if (!asJson) Console.Error.Write($"\rrewritten {done}/{rows.Count}"); });
            var styleModel = new ServedStyleModel(service, served.Id, PromptTemplates.Get(parse.GetValue(template)!).Name, parse.GetValue(maxNew));
            var result = StyleEvaluator.RunAsync(styleModel, rows, tokenization, progress, classifier: classifier).GetAwaiter().GetResult();

            if (parse.GetValue(output) is { } file)
            {
                var lineOptions = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
                File.WriteAllLines(file.FullName, result.Rows.Select(r => JsonSerializer.Serialize(r, lineOptions)));
            }
            if (asJson)
            {
                CliOutput.PrintJson(new { Tokenize = result.Tokenization.Name(), result.Overall, result.ByStyle, result.Classifier, result.FluencyThreshold });
                return 0;
            }
            Console.Error.WriteLine();
            if (result.MeteorMissing is { } missing) Console.Error.WriteLine($"METEOR not computed: {missing}");
            if (result.Classifier is { } c)
                Console.WriteLine($"style classifier: {c.Accuracy:P1} of {c.HeldOutTexts} held-out texts right (" +
                    string.Join(", ", c.PerLabel.Select(l => $"{l.Label} {l.Recall:P0}")) + ")");
            Console.WriteLine($"{"style",-24} {"rows",6} {"joint",6} {"style%",7} {"fluent%",8} {"BLEU",7} {"chrF",7} {"chrF++",7} {"METEOR",7} {"TER",7} {"selfBLEU",8} {"ref PPL",9}   (BLEU tokenize: {result.Tokenization.Name()})");
            foreach (var s in result.ByStyle.Append(result.Overall))
                Console.WriteLine($"{s.Style,-24} {s.Rows,6} {s.Joint,6:F3} {s.StyleAccuracy * 100,7:F1} {s.FluentShare * 100,8:F1} {s.Bleu,7:F2} {s.ChrF,7:F2} {s.ChrFPlusPlus,7:F2} {s.Meteor,7:F4} {s.Ter,7:F2} {s.SelfBleu,8:F2} {s.ReferencePerplexity,9:F3}");
            return 0;
        }));
        return command;
    }
}
