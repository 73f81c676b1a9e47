using StyleStudio.Cli.Commands;
using StyleStudio.Training.Trainer;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary>The checked-in run files in examples/ stay loadable as the CLI evolves.</summary>
public class ExampleConfigTests
{
    [Theory]
    [InlineData("train-lora.yaml", "lora")]
    [InlineData("train-dora.yaml", "lora")]
    [InlineData("train-rslora.yaml", "lora")]
    [InlineData("train-qlora.yaml", "lora")]
    [InlineData("train-full.yaml", "full")]
    [InlineData("train-freeze.yaml", "freeze")]
    public void Example_run_files_load(string file, string method)
    {
        var config = TrainCommand.LoadConfig(Path.Combine(Fixtures.RepositoryRoot(), "examples", file));
        Assert.Equal(method, config.FinetuningType);
        Assert.Equal(file == "train-dora.yaml", config.UseDora);
        Assert.Equal(file == "train-rslora.yaml", config.UseRslora);
        Assert.Equal(file == "train-qlora.yaml" ? 4 : (int?)null, config.QuantizationBit);
        Assert.Equal(file == "train-qlora.yaml" ? ComputePrecision.BFloat16 : ComputePrecision.Auto, config.ToRequest().Precision);
        Assert.Equal("qwen", config.Template);
        Assert.InRange(config.LearningRate, 1e-6, 1e-3);
    }
}
