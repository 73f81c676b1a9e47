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
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary><see cref="Guard"/> for verbs that talk to the network: hub refusals, failed transfers and checksum
    /// mismatches are user errors too; Ctrl+C returns 130.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (IsUserError(e) || e is StyleStudio.Models.Hubs.HubException or StyleStudio.Models.Download.ChecksumMismatchException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted; what was downloaded is kept: run the same command again to continue");
            return 130;
        }
    }

    static bool IsUserError(Exception e) => e is ModelLoadException or TokenizerLoadException or ArgumentException or InvalidOperationException
        or TrainingDivergedException or FileNotFoundException or YamlDotNet.Core.YamlException
        or StyleStudio.Data.Import.SourceFormatException or StyleStudio.Data.Import.MappingException
        or StyleStudio.Data.Import.NothingImportedException or StyleStudio.Data.Import.ImportLimitException
        or StyleStudio.Data.Storage.DataStoreLockedException or StyleStudio.Data.Corpora.CorpusFileException or StyleStudio.Evaluation.Scoring.LineFileException
        or StyleStudio.Evaluation.Metrics.WordNetNotFoundException;
}
