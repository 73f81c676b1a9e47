using StyleStudio.Training.Trainer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>Our flat-buffer AdamW takes the same steps as TorchSharp's AdamW (PyTorch's formula), clipping as clip_grad_norm_.</summary>
public class FlatAdamWTests
{
    static List<Parameter> MakeParameters(int seed)
    {
        using var generator = new Generator((ulong)seed);
        return [
            new Parameter(randn([6, 5], generator: generator)),
            new Parameter(randn([5], generator: generator)),
            new Parameter(randn([3, 6], generator: generator)),
        ];
    }

    static void SetGradients(IEnumerable<Parameter> parameters, int step)
    {
        using var generator = new Generator((ulong)(100 + step));
        using var noGrad = no_grad();
        foreach (var p in parameters)
            p.grad!.copy_(randn(p.shape, generator: generator) * (step + 1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Steps_match_torch_adamw_with_decay_on_matrices_only_and_clipping(bool flatten)
    {
        var options = new TrainingOptions { LearningRate = 0.01, WeightDecay = 0.1, Beta1 = 0.8, Beta2 = 0.95, Epsilon = 1e-6 };
        var ours = MakeParameters(1);
        var theirs = MakeParameters(1);
        foreach (var p in theirs) p.grad = zeros_like(p);
        using var optimizer = new FlatAdamW(ours, options, flatten);
        using var reference = optim.AdamW(theirs.Where(p => p.dim() >= 2), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        reference.add_param_group(new AdamW.ParamGroup(theirs.Where(p => p.dim() < 2), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, 0));

        for (int step = 0; step < 5; step++)
        {
            optimizer.ZeroGrad();
            SetGradients(ours, step);
            SetGradients(theirs, step);
            double norm = optimizer.ClipGradNorm(3.0);
            double expectedNorm = nn.utils.clip_grad_norm_(theirs, 3.0);
            Assert.Equal(expectedNorm, norm, 1e-4);
            optimizer.Step();
            reference.step();
        }
        foreach (var (mine, expected) in ours.Zip(theirs))
            Assert.True((mine - expected).abs().max().item<float>() < 1e-6, "parameters diverged from torch's AdamW");
        Assert.True((ours[0] - MakeParameters(1)[0]).abs().max().item<float>() > 1e-3, "the parameters did not move");
    }
}
