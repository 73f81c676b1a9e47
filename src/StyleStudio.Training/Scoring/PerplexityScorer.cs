using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Training.Scoring;

/// <summary>Mean negative log-likelihood per predicted token (nats) and its exponential, the perplexity.</summary>
public sealed record Perplexity(double MeanNll, double Value, int PredictedTokens);

/// <summary>How well a model predicts a text: each token from the ones before it, as transformers' causal LM loss.</summary>
public static class PerplexityScorer
{
    public static Perplexity Score(CausalLM model, IReadOnlyList<int> ids)
    {
        if (ids.Count < 2)
            throw new ArgumentException("perplexity needs at least two tokens (one to condition on, one to predict)", nameof(ids));
        if (ids.Count > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"text is {ids.Count} tokens, longer than the model's context of {model.Config.MaxPositionEmbeddings}", nameof(ids));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: model.Device);
        var positions = arange(ids.Count, device: model.Device).unsqueeze(0);
        var logits = model.Forward(new ForwardInput(input, positions)).to(ScalarType.Float32)[0];
        var nll = nn.functional.cross_entropy(logits[..^1], input[0, 1..]).item<float>();
        return new Perplexity(nll, Math.Exp(nll), ids.Count - 1);
    }
}
