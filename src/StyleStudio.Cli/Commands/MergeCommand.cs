using System.CommandLine;
using StyleStudio.Training.Adapters;

namespace StyleStudio.Cli.Commands;

/// <summary><c>stylestudio merge --model DIR --adapter DIR --out DIR [--shard-size-mb N]</c>: a standalone merged checkpoint.</summary>
static class MergeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var adapter = new Option<DirectoryInfo>("--adapter") { Description = "PEFT adapter folder", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "folder for the merged Hugging Face checkpoint", Required = true };
        var shard = new Option<int>("--shard-size-mb") { Description = "largest safetensors shard", DefaultValueFactory = _ => 2048 };
        var command = new Command("merge", "Merge an adapter into its base model and save a Hugging Face checkpoint") { model, adapter, output, shard };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            string outFolder = parse.GetValue(output)!.FullName;
            AdapterMerger.MergeFolders(parse.GetValue(model)!.FullName, parse.GetValue(adapter)!.FullName, outFolder, parse.GetValue(shard) * 1024L * 1024);
            Console.WriteLine($"merged checkpoint written to {outFolder}");
            return 0;
        }));
        return command;
    }
}
