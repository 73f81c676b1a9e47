using System.CommandLine;
using StyleStudio.Training;
using StyleStudio.Training.Scoring;

namespace StyleStudio.Cli.Commands;

/// <summary><c>stylestudio score --model DIR --text TEXT</c>: mean negative log-likelihood and perplexity.</summary>
static class ScoreCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var text = new Option<string>("--text") { Description = "text to score", Required = true };
        var device = CommonOptions.Device();
        var dtype = CommonOptions.DType();
        var json = CommonOptions.Json();
        var command = new Command("score", "Perplexity of a text under a model") { model, text, device, dtype, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var loaded = PretrainedModel.Load(parse.GetValue(model)!.FullName,
                ModelLoadOptions.Named(parse.GetValue(device), parse.GetValue(dtype)!));
            var ids = loaded.RequireTokenizer().Encode(parse.GetValue(text)!, addSpecialTokens: true);
            var score = PerplexityScorer.Score(loaded.Network, ids);
            if (parse.GetValue(json))
                CliOutput.PrintJson(new { score.MeanNll, Perplexity = score.Value, score.PredictedTokens });
            else
                Console.WriteLine($"mean NLL {score.MeanNll:F4} nats/token, perplexity {score.Value:F3} over {score.PredictedTokens} predicted tokens");
            return 0;
        }));
        return command;
    }
}
