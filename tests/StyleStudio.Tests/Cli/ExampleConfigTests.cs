using StyleStudio.Cli.Commands;

namespace StyleStudio.Tests.Cli;

/// <summary>The checked-in run files in examples/ stay loadable as the CLI evolves.</summary>
public class ExampleConfigTests
{
    static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "StyleStudio.sln"))) folder = folder.Parent;
        return folder?.FullName ?? throw new DirectoryNotFoundException("StyleStudio.sln not found above the test folder");
    }

    [Theory]
    [InlineData("train-lora.yaml", false, false)]
    [InlineData("train-dora.yaml", true, false)]
    [InlineData("train-rslora.yaml", false, true)]
    public void Example_run_files_load(string file, bool dora, bool rslora)
    {
        var config = TrainConfig.Load(Path.Combine(RepositoryRoot(), "examples", file));
        Assert.Equal("lora", config.FinetuningType);
        Assert.Equal((dora, rslora), (config.UseDora, config.UseRslora));
        Assert.Equal("qwen", config.Template);
        Assert.Equal(5e-5, config.LearningRate);
    }
}
