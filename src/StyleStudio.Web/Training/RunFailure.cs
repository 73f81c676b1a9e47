using System.Text.RegularExpressions;

namespace StyleStudio.Web.Training;

/// <summary>Why a run failed, as far as its error tells: each kind has its own advice on the run page.</summary>
public enum RunFailureKind { Unknown, Diverged, OutOfMemory, MissingModel, MissingDataset, BrokenModel }

/// <summary>Reads a failed run's error message (the trainer's, TorchSharp's or the store's) into a <see cref="RunFailureKind"/>.</summary>
public static partial class RunFailure
{
    public static RunFailureKind Classify(string? message)
    {
        if (string.IsNullOrWhiteSpace(message)) return RunFailureKind.Unknown;
        string text = message.ToLowerInvariant();
        if (text.Contains("diverged") || text.Contains("not finite") || NotANumber().IsMatch(text)) return RunFailureKind.Diverged;
        if (Has(text, "out of memory", "outofmemory", "can't allocate memory", "cannot allocate memory", "not enough memory"))
            return RunFailureKind.OutOfMemory;
        if (Has(text, "no dataset", "has no rows")) return RunFailureKind.MissingDataset;
        if (Has(text, "no model folder", "could not find file", "could not find a part of the path", "no such file"))
            return RunFailureKind.MissingModel;
        if (Has(text, "config.json", "safetensors", "tokenizer")) return RunFailureKind.BrokenModel;
        return RunFailureKind.Unknown;
    }

    static bool Has(string text, params string[] parts) => parts.Any(text.Contains);

    [GeneratedRegex(@"\b(nan|inf|-inf)\b")]
    private static partial Regex NotANumber();
}
