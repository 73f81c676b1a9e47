using StyleStudio.Data.Pairs;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>The English meaning model shipped for pair mining (all-MiniLM-L6-v2 through ONNX Runtime), run for real.</summary>
public sealed class SentenceEncoderTests
{
    static readonly ISentenceEncoder Encoder = MiniLmSentenceEncoder.Shared;

    [Fact]
    public void A_casual_rewrite_is_nearer_its_formal_sentence_than_the_other_rewrites_are()
    {
        // Pairs sharing no content word: only meaning links them.
        string[] formal = ["I regret that I was unable to respond sooner.", "Please ensure your seatbelt is securely fastened.",
            "The results exceeded all our expectations.", "I found the film rather tedious."];
        string[] casual = ["Sorry for the slow reply.", "Buckle up.", "It went way better than we thought.", "The movie was kind of boring."];
        var f = Encoder.Encode(formal, cancellation: TestContext.Current.CancellationToken);
        var c = Encoder.Encode(casual, cancellation: TestContext.Current.CancellationToken);
        for (int i = 0; i < formal.Length; i++)
        {
            double own = Cosine(f[i], c[i]);
            for (int j = 0; j < casual.Length; j++)
                if (j != i) Assert.True(own > Cosine(f[i], c[j]), $"'{formal[i]}': {own:F3} to its rewrite, {Cosine(f[i], c[j]):F3} to '{casual[j]}'");
        }
    }

    [Fact]
    public void Vectors_have_unit_length_and_a_text_encodes_the_same_alone_or_in_a_batch()
    {
        // 70 texts: more than one batch of 64, so the batch boundary is crossed.
        var texts = Enumerable.Range(0, 70).Select(i => $"Order number {i} will be shipped within {i % 7 + 1} working days.").ToList();
        var together = Encoder.Encode(texts, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(texts.Count, together.Length);
        Assert.All(together, v => Assert.Equal(1, Math.Sqrt(v.Sum(x => (double)x * x)), 3));
        foreach (int i in new[] { 0, 63, 64, 69 })
        {
            var alone = Encoder.Encode([texts[i]], cancellation: TestContext.Current.CancellationToken)[0];
            Assert.True(Cosine(alone, together[i]) > 0.9999, $"text {i}: {Cosine(alone, together[i])}");
        }
        Assert.True(Cosine(together[1], together[2]) < 0.9999);   // different texts, different vectors
    }

    [Fact]
    public void It_reads_latin_script_text_only_and_reports_progress_and_cancellation()
    {
        Assert.True(Encoder.Reads("Heads up, the meeting's off."));
        Assert.True(Encoder.Reads("Café au lait, s'il vous plaît."));
        Assert.False(Encoder.Reads("今日甚寒，北风不止。"));
        Assert.False(Encoder.Reads("会議は中止になりました。"));
        Assert.False(Encoder.Reads("2024 — 100%"));   // no letters: nothing to read
        var reports = new List<double>();
        Encoder.Encode(Enumerable.Repeat("A short sentence.", 130).ToList(), new SynchronousProgress<double>(reports.Add), TestContext.Current.CancellationToken);
        Assert.Equal([64.0 / 130, 128.0 / 130, 1.0], reports);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => Encoder.Encode(["Never encoded."], cancellation: cancelled.Token));
    }

    static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
}
