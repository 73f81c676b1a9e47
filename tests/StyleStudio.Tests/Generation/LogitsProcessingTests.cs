using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Generation;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Generation;

/// <summary>Processed logits against transformers' own processors (processors.json), case by case.</summary>
public class LogitsProcessingTests
{
    public static TheoryData<int> Cases => [0, 1, 2, 3, 4, 5, 6, 7];

    [Theory, MemberData(nameof(Cases))]
    public void Matches_transformers_processors(int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "processors.json")));
        var root = json.RootElement;
        var testCase = root.GetProperty("cases")[index];
        var config = testCase.GetProperty("config");
        double Get(string name, double fallback) => config.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
        var options = new SamplingOptions
        {
            Temperature = Get("temperature", 1.0),
            TopK = (int)Get("top_k", 0),
            TopP = Get("top_p", 1.0),
            RepetitionPenalty = Get("repetition_penalty", 1.0),
        };
        using var scope = NewDisposeScope();
        var logits = tensor(root.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray()).unsqueeze(0);
        var history = tensor(root.GetProperty("input_ids").EnumerateArray().Select(v => v.GetInt64()).ToArray()).unsqueeze(0);

        var actual = LogitsProcessing.Apply(logits, history, options, generated: 0, eosIds: []).squeeze(0).data<float>().ToArray();
        var expected = testCase.GetProperty("processed").EnumerateArray()
            .Select(v => v.ValueKind == JsonValueKind.Null ? float.NegativeInfinity : v.GetSingle()).ToArray();

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNegativeInfinity(expected[i])) Assert.True(float.IsNegativeInfinity(actual[i]), $"token {i} should be removed");
            else Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void Min_new_tokens_suppresses_end_of_sequence_until_reached()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0, 5, 1 }).unsqueeze(0);
        var history = tensor(new long[] { 0 }).unsqueeze(0);
        var options = new SamplingOptions { Temperature = 0, MinNewTokens = 2 };
        Assert.True(float.IsNegativeInfinity(LogitsProcessing.Apply(logits, history, options, 1, [1])[0, 1].item<float>()));
        Assert.Equal(5f, LogitsProcessing.Apply(logits, history, options, 2, [1])[0, 1].item<float>());
    }
}
