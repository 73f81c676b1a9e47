using System.Text.Json.Nodes;
using StyleStudio.Application.Datasets;
using StyleStudio.Data.Export;
using StyleStudio.Data.Import;
using StyleStudio.Data.Inspection;
using StyleStudio.Data.Model;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Tests.Data;

/// <summary>Statistics with their warnings, the prompt preview with its loss mask, stratified split, export and re-import.</summary>
public sealed class InspectionAndExportTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-inspect-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static readonly TextTokenizer Tokenizer = TextTokenizer.Load(Fixtures.Model("qwen2"));

    static List<DatasetRow> Rows(int classical, int casual) =>
        Enumerable.Range(0, classical).Select(i => new DatasetRow { Instruction = "改写成古风", Input = $"第{i}句", Output = $"其{i}", Style = "古风" })
            .Concat(Enumerable.Range(0, casual).Select(i => new DatasetRow { Instruction = i % 2 == 0 ? "Make it casual" : "Say it casually", Input = $"Sentence {i}.", Output = $"sentence {i} lol", Style = "casual" }))
            .ToList();

    [Theory]
    [InlineData("../../../escaped")]
    [InlineData("/etc/escaped")]
    [InlineData("..")]
    [InlineData("a\\..\\..\\b")]
    public void Export_writes_only_inside_its_folder_whatever_the_dataset_is_called(string name)
    {
        string output = Path.Combine(folder, "X", "a", "b");
        string path = DatasetExporter.Export(Rows(2, 0), output, name, ExportFormat.Alpaca);
        Assert.Equal(output, Path.GetDirectoryName(path));
        var written = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        Assert.All(written, f => Assert.True(Path.GetDirectoryName(f) == output, $"{f} is outside {output}"));
        Assert.Equal(2, written.Length);    // the data file and dataset_info.json
    }

    [Fact]
    public void Statistics_warn_about_small_styles_and_a_dominant_instruction()
    {
        var stats = DatasetStatistics.Compute(Rows(30, 40), text => Tokenizer.Encode(text).Length);
        var classical = stats.Single(s => s.Style == "古风");
        Assert.Equal(30, classical.Rows);
        Assert.Equal(1.0, classical.TopInstructionShare);
        Assert.Contains(classical.Warnings, w => w.Contains("only 30 pairs"));
        Assert.Contains(classical.Warnings, w => w.Contains("share one instruction"));
        var casual = stats.Single(s => s.Style == "casual");
        Assert.Equal(0.5, casual.TopInstructionShare);
        Assert.DoesNotContain(casual.Warnings, w => w.Contains("share one instruction"));
        Assert.Equal(40, casual.OutputTokens.Counts.Sum());
    }

    [Fact]
    public void Preview_shows_the_answer_and_end_token_trained_everything_else_masked_and_what_cutoff_removes()
    {
        var row = new DatasetRow { Instruction = "改写成古风", Input = "你好", Output = "汝好" };
        var preview = PromptPreview.Render(row, PromptTemplates.Qwen, Tokenizer);
        Assert.Equal([TokenRole.Masked, TokenRole.Trained], preview.Segments.Select(s => s.Role));
        Assert.Contains("<|im_start|>user\n改写成古风\n你好<|im_end|>", preview.Segments[0].Text);
        Assert.StartsWith("汝好<|im_end|>", preview.Segments[1].Text);
        Assert.Equal(0, preview.RemovedTokens);
        // Same numbers as the trainer's encoder: the preview cannot drift from training.
        var encoded = new ExampleEncoder(PromptTemplates.Qwen, Tokenizer).Encode(row.ToConversation());
        Assert.Equal((encoded.Length, encoded.Labels.Count(l => l != -100)), (preview.TotalTokens, preview.Segments[1].Tokens));

        string longInput = string.Concat(Enumerable.Repeat("很长的句子", 40));
        var cut = PromptPreview.Render(row with { Input = longInput }, PromptTemplates.Qwen, Tokenizer, cutoff: 32);
        Assert.Equal(32, cut.TotalTokens);
        Assert.Equal(cut.Segments.Where(s => s.Role != TokenRole.Removed).Sum(s => s.Tokens), cut.TotalTokens);
        // The prompt's tail is cut (its end, with "<|im_end|>"), the short answer survives whole and is still learned.
        Assert.Equal([TokenRole.Masked, TokenRole.Removed, TokenRole.Trained], cut.Segments.Select(s => s.Role));
        Assert.EndsWith("<|im_start|>assistant\n", cut.Segments[1].Text);
        Assert.StartsWith("汝好", cut.Segments[2].Text);
        var trainerSees = new ExampleEncoder(PromptTemplates.Qwen, Tokenizer, 32).Encode((row with { Input = longInput }).ToConversation());
        Assert.Equal(trainerSees.Length, cut.TotalTokens);
    }

    [Fact]
    public void Split_is_stratified_by_style_seeded_and_exact_in_size()
    {
        var rows = Rows(90, 10);
        var (train, validation) = DatasetSplitter.Split(rows, 0.1, seed: 3);
        Assert.Equal((90, 10), (train.Count, validation.Count));
        Assert.Equal(9, validation.Count(r => r.Style == "古风"));
        Assert.Equal(1, validation.Count(r => r.Style == "casual"));
        Assert.Equal(validation, DatasetSplitter.Split(rows, 0.1, seed: 3).Validation);
        Assert.NotEqual(validation, DatasetSplitter.Split(rows, 0.1, seed: 4).Validation);
        Assert.Equal(7, DatasetSplitter.Split(rows, 7, seed: 3).Validation.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplitter.Split(rows, 100, seed: 3));
    }

    [Theory]
    [InlineData(ExportFormat.Alpaca)]
    [InlineData(ExportFormat.ShareGpt)]
    public void Export_round_trips_through_import_and_describes_itself_for_llama_factory(ExportFormat format)
    {
        var rows = Rows(3, 2);
        rows[0] = rows[0] with { System = "你是古文大家", History = [new HistoryTurn("前问", "前答")] };
        string path = DatasetExporter.Export(rows, folder, "styles", format);
        var (back, report) = DatasetImporter.ReadAll(path);
        Assert.Empty(report.Errors);
        Assert.Equal(rows.Select(r => (r.Query, r.Output, r.System, r.Style, r.History.Count)), back.Select(r => (r.Query, r.Output, r.System, r.Style, r.History.Count)));
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "dataset_info.json")))!["styles"]!;
        Assert.Equal(Path.GetFileName(path), info["file_name"]!.GetValue<string>());
        Assert.Equal(format == ExportFormat.ShareGpt ? "sharegpt" : null, info["formatting"]?.GetValue<string>());
    }
}
