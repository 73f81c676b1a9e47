using System.Text.Json;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary><c>stylestudio eval</c>: it rewrites each row as <c>generate</c> would and scores with the sacreBLEU metrics.</summary>
public class EvalCliTests
{
    static readonly string[] Inputs = ["The meeting has been cancelled.", "Please send the report today.", "We regret the delay."];

    [Fact]
    public void Eval_rewrites_rows_as_generate_does_and_scores_them_with_the_sacrebleu_metrics()
    {
        string folder = Directory.CreateTempSubdirectory("eval-cli-").FullName;
        try
        {
            var own = GreedyRewrites.Of(Inputs, maxNewTokens: 12);   // eval must reproduce these
            Assert.All(own, text => Assert.False(string.IsNullOrWhiteSpace(text)));

            string Dataset(string name, IEnumerable<string> outputs)
            {
                string path = Path.Combine(folder, name);
                File.WriteAllLines(path, Inputs.Zip(outputs, (input, output) =>
                    JsonSerializer.Serialize(new { instruction = input, output, style = "casual" })));
                return path;
            }
            string[] Eval(string dataset, string predictions) =>
            [
                "eval", "--model", Fixtures.Model("qwen2"), "--dataset", dataset, "--max-new-tokens", "12",
                "--device", "cpu", "--dtype", "float32", "--tokenize", "13a", "--out", predictions, "--json",
            ];

            var exact = CliRunner.Run(Eval(Dataset("own.jsonl", own), Path.Combine(folder, "own-predictions.jsonl")));
            Assert.True(exact.ExitCode == 0, exact.Stderr);
            var overall = JsonDocument.Parse(exact.Stdout).RootElement.GetProperty("overall");
            // chrF of identical text is 100; BLEU too once there are 4-grams (the tiny model's byte soup is often one
            // 13a token per row, and sacreBLEU's corpus BLEU is then 0), so it is held to the metric itself.
            Assert.Equal(100, overall.GetProperty("chrf").GetDouble(), 1e-9);
            Assert.True(overall.GetProperty("reference_perplexity").GetDouble() > 1);   // exp of a mean NLL, which is > 0
            Assert.Equal(Bleu.Corpus(own, [own], MtTokenization.Thirteen).Score, overall.GetProperty("bleu").GetDouble(), 1e-9);

            string[] other = ["Heads up, the meeting's off.", "Can you send the report over today?", "Sorry it took so long!"];
            string predictions = Path.Combine(folder, "predictions.jsonl");
            var scored = CliRunner.Run(Eval(Dataset("other.jsonl", other), predictions));
            Assert.True(scored.ExitCode == 0, scored.Stderr);
            var written = File.ReadAllLines(predictions).Select(line => JsonDocument.Parse(line).RootElement).ToList();
            Assert.Equal(own, written.Select(r => r.GetProperty("prediction").GetString()));
            var bleu = JsonDocument.Parse(scored.Stdout).RootElement.GetProperty("overall").GetProperty("bleu").GetDouble();
            Assert.Equal(Bleu.Corpus(own, [other], MtTokenization.Thirteen).Score, bleu, 1e-9);
            Assert.NotEqual(100, JsonDocument.Parse(scored.Stdout).RootElement.GetProperty("overall").GetProperty("chrf").GetDouble());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
