using StyleStudio.Application.Runs;
using System.CommandLine;
using StyleStudio.Data.Storage;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio run list|rm</c>: the studio's training runs, which live in the same data folder as the datasets (the
/// studio must be stopped: one process holds the folder).
/// </summary>
static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "List and delete the studio's training runs in the data folder");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    static Option<DirectoryInfo> DataFolder() => new("--data")
    {
        Description = "the data folder (default: $STYLESTUDIO_DATA, else ~/.local/share/StyleStudio)",
        DefaultValueFactory = _ => new DirectoryInfo(DataStore.DefaultFolder),
    };

    static Command List()
    {
        var data = DataFolder();
        var json = CommonOptions.Json();
        var command = new Command("list", "List runs, newest first") { data, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var runs = store.Runs.All();
            if (parse.GetValue(json))
                CliOutput.PrintJson(runs.Select(r => new { r.Id, r.Name, status = r.Status.ToString(), dataset = r.DatasetName, r.DatasetVersion, r.Model, output = r.OutputDir }));
            else foreach (var r in runs) Console.WriteLine($"{r.Id}\t{r.Name}\t{r.Status}\t{r.DatasetName} v{r.DatasetVersion}\t{r.Model}\t{r.OutputDir}");
            return 0;
        }));
        return command;
    }

    static Command Remove()
    {
        var id = new Argument<int>("id");
        var data = DataFolder();
        var command = new Command("rm", "Delete a finished run: its record, metrics and folder (checkpoints, adapter); refused while queued or running") { id, data };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var store = DataStore.Open(parse.GetValue(data)!.FullName);
            var run = store.Runs.Get(parse.GetValue(id));
            store.Runs.Delete(run.Id);
            Console.WriteLine($"deleted run {run.Id} ({run.Name}) and {run.OutputDir}");
            return 0;
        }));
        return command;
    }
}
