using System.Text;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Cleaning;

/// <summary>Trims surrounding whitespace and puts every text field in Unicode NFC, so equal text compares equal.</summary>
public sealed class NormalizeText : CleaningStep
{
    public override string Name => "trim + NFC";

    protected override DatasetRow? Transform(DatasetRow row) => MapText(row, text => text.Trim().Normalize(NormalizationForm.FormC));
}

/// <summary>
/// Folds full-width Latin letters, digits and the ideographic space to their ASCII forms (ｓｔｙｌｅ１ → style1).
/// Full-width punctuation (，。：) is kept: in Chinese text it is the correct form, and folding it would change the style.
/// </summary>
public sealed class FoldWidth : CleaningStep
{
    public override string Name => "full-width letters/digits → half-width";

    protected override DatasetRow? Transform(DatasetRow row) => MapText(row, Fold);

    static string Fold(string text)
    {
        if (!text.Any(IsFoldable)) return text;
        return string.Create(text.Length, text, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
                span[i] = source[i] == '\u3000' ? ' ' : IsFoldable(source[i]) ? (char)(source[i] - 0xFEE0) : source[i];
        });
    }

    static bool IsFoldable(char c) => c == '\u3000' || c is >= '０' and <= '９' or >= 'Ａ' and <= 'Ｚ' or >= 'ａ' and <= 'ｚ';
}

/// <summary>Removes rows whose answer merely repeats the input (or, without input, the instruction): they teach copying.</summary>
public sealed class DropUnchanged : CleaningStep
{
    public override string Name => "output equals input";

    protected override DatasetRow? Transform(DatasetRow row) =>
        string.Equals(row.Output.Trim(), (string.IsNullOrWhiteSpace(row.Input) ? row.Instruction : row.Input).Trim(), StringComparison.Ordinal) ? null : row;
}

/// <summary>Keeps the first of rows that are equal in every field.</summary>
public sealed class ExactDuplicates : CleaningStep
{
    readonly HashSet<UInt128> seen = [];

    public override string Name => "exact duplicates";

    protected override DatasetRow? Transform(DatasetRow row) => seen.Add(RowHash.Of(row)) ? row : null;
}
