using System.Text.Encodings.Web;
using System.Text.Json;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Tokenization;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Cli.Commands;

/// <summary>JSON printing and the one place where expected failures become a message and exit code 1.</summary>
static class CliOutput
{
    static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keep Chinese readable
    };

    public static void PrintJson(object value) => Console.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Runs a verb; user errors (bad model folder, bad option values) print one line to stderr and return 1.</summary>
    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ModelLoadException or TokenizerLoadException or ArgumentException or InvalidOperationException
                                       or TrainingDivergedException or FileNotFoundException or YamlDotNet.Core.YamlException
                                       or StyleStudio.Data.Import.SourceFormatException or StyleStudio.Data.Import.MappingException
                                       or StyleStudio.Data.Import.NothingImportedException or StyleStudio.Data.Import.ImportLimitException
                                       or StyleStudio.Data.Storage.DataStoreLockedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
