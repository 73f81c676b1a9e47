using System.Text;
using Microsoft.ML.Tokenizers;

namespace StyleStudio.Training.Tokenization;

/// <summary>Unicode NFC, the normalizer Qwen's tokenizer.json declares (Microsoft.ML.Tokenizers ships none).</summary>
sealed class NfcNormalizer : Normalizer
{
    public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);

    public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
}
