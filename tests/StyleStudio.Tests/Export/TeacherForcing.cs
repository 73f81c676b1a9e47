using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Export;

/// <summary>
/// The same tokens fed to our engine and to llama.cpp; at each position both pick their argmax. Where they differ, the
/// gap is how much our engine preferred its own pick over llama.cpp's, in logits: a near-tie (tiny gap) is rounding, a
/// large gap would be a wrong tensor or layout.
/// </summary>
sealed record TeacherForcing(int Steps, int Agreements, IReadOnlyList<(int Position, int Ours, int LlamaCpp, float Gap)> Disagreements,
    float MedianTopTwoMargin)
{
    public double AgreementRate => (double)Agreements / Steps;

    public float LargestGap => Disagreements.Count == 0 ? 0 : Disagreements.Max(d => d.Gap);

    /// <summary><paramref name="steps"/> positions of real text from the tokenizer corpus (several languages).</summary>
    public static int[] Text(PretrainedModel model, int steps) =>
        model.RequireTokenizer().Encode(string.Join("\n", Fixtures.Corpus().Take(400))).Take(steps).ToArray();

    public static TeacherForcing Compare(PretrainedModel ours, LlamaCppModel llama, int[] tokens)
    {
        var theirs = llama.TeacherForcedLogits(tokens);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
        var positions = arange(tokens.Length, dtype: ScalarType.Int64).unsqueeze(0);
        var logits = ours.Network.Forward(new ForwardInput(ids, positions))[0].to(ScalarType.Float32).cpu(); // [T, vocab]

        int agreements = 0;
        var disagreements = new List<(int, int, int, float)>();
        var margins = new List<float>();
        for (int position = 0; position < tokens.Length; position++)
        {
            float[] row = logits[position].data<float>().ToArray();
            int mine = LlamaCppModel.ArgMax(row);
            int other = LlamaCppModel.ArgMax(theirs[position]);
            margins.Add(row[mine] - row.Where((_, i) => i != mine).Max());
            if (mine == other) agreements++;
            else disagreements.Add((position, mine, other, row[mine] - row[other]));
        }
        margins.Sort();
        return new TeacherForcing(tokens.Length, agreements, disagreements, margins[margins.Count / 2]);
    }

    public override string ToString() =>
        $"top-1 agreement {Agreements}/{Steps} ({AgreementRate:P1}); median top-2 margin {MedianTopTwoMargin:F4}; "
        + $"disagreements (position ours/llama.cpp gap): {string.Join(", ", Disagreements.Select(d => $"{d.Position} {d.Ours}/{d.LlamaCpp} {d.Gap:F4}"))}";
}
