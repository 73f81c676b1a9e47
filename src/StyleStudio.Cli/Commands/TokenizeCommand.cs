using System.CommandLine;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Cli.Commands;

/// <summary><c>stylestudio tokenize (--model DIR | --tokenizer FILE) --text TEXT</c>: ids and count.</summary>
static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "model folder holding tokenizer.json" };
        var tokenizerFile = new Option<FileInfo>("--tokenizer") { Description = "a tokenizer.json file" };
        var text = new Option<string>("--text") { Description = "text to tokenize", Required = true };
        var specials = new Option<bool>("--add-special-tokens") { Description = "add the tokenizer's BOS/template tokens" };
        var json = CommonOptions.Json();
        var command = new Command("tokenize", "Show the token ids of a text") { model, tokenizerFile, text, specials, json };
        command.Validators.Add(result =>
        {
            if ((result.GetResult(model) is null) == (result.GetResult(tokenizerFile) is null))
                result.AddError("give exactly one of --model or --tokenizer");
        });
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            string source = parse.GetValue(model)?.FullName ?? parse.GetValue(tokenizerFile)!.FullName;
            var tokenizer = TextTokenizer.Load(source);
            var ids = tokenizer.Encode(parse.GetValue(text)!, parse.GetValue(specials));
            if (parse.GetValue(json))
            {
                var tokens = ids.Select(id => tokenizer.Decode([id])).ToArray();
                CliOutput.PrintJson(new { Ids = ids, Count = ids.Length, Tokens = tokens });
                return 0;
            }
            Console.WriteLine(string.Join(' ', ids));
            Console.WriteLine($"{ids.Length} tokens");
            return 0;
        }));
        return command;
    }
}
