using System.Text.Json.Nodes;
using StyleStudio.Data.Cleaning;
using StyleStudio.Data.Import;
using StyleStudio.Data.Inspection;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Tests.Data;

/// <summary>The bundled samples: at least 300 pairs each, clean, labelled, with varied instructions, described for LLaMA-Factory.</summary>
public class SampleDatasetTests
{
    static string SamplesFolder() => Path.Combine(Fixtures.RepositoryRoot(), "samples");

    [Theory]
    [InlineData("modern-to-classical", "古风")]
    [InlineData("official-to-social", "社交媒体")]
    [InlineData("formal-to-casual", "casual")]
    public void Sample_is_large_clean_labelled_and_varied(string name, string style)
    {
        var (rows, report) = DatasetImporter.ReadAll(Path.Combine(SamplesFolder(), name + ".jsonl"));
        Assert.Empty(report.Errors);
        Assert.InRange(rows.Count, 300, 1000);
        Assert.All(rows, r => Assert.Equal(style, r.Style));
        Assert.Equal(rows.Count, new ExactDuplicates().Apply(rows).Count());
        Assert.Equal(rows.Count, new DropUnchanged().Apply(rows).Count());
        Assert.Equal(rows.Count, rows.Select(r => r.Input).Distinct().Count());

        var tokenizer = TextTokenizer.Load(Fixtures.Model("qwen2"));
        var statistics = Assert.Single(DatasetStatistics.Compute(rows, text => tokenizer.Encode(text).Length));
        Assert.True(statistics.TopInstructionShare < 0.25, $"one instruction covers {statistics.TopInstructionShare:P0} of the rows");
        Assert.True(rows.Select(r => r.Instruction).Distinct().Count() >= 8);

        var entry = JsonNode.Parse(File.ReadAllText(Path.Combine(SamplesFolder(), "dataset_info.json")))![name]!;
        Assert.Equal(name + ".jsonl", entry["file_name"]!.GetValue<string>());
    }
}
