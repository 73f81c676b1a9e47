using System.CommandLine;
using StyleStudio.Cli.Commands;

var root = new RootCommand("StyleStudio: fine-tune language models to rewrite text in a style, and run them.")
{
    GenerateCommand.Create(),
    ScoreCommand.Create(),
    TokenizeCommand.Create(),
    InfoCommand.Create(),
    TrainCommand.Create(),
    MergeCommand.Create(),
    ExportCommand.Create(),
    DataCommand.Create(),
    RunCommand.Create(),
    EvalCommand.Create(),
    MetricsCommand.Create(),
    AgreementCommand.Create(),
    JudgeCommand.Create(),
    ModelCommand.Create(),
    PasswordHashCommand.Create(),
    WorkerCommand.Create(),
};
return await root.Parse(args).InvokeAsync();

/// <summary>The CLI's entry point, kept internal: the studio's own <c>Program</c> is the one the tests host.</summary>
internal partial class Program;
