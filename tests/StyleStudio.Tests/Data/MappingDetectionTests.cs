using System.Text;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;

namespace StyleStudio.Tests.Data;

/// <summary>Detection proposes the mapping users would choose, with a confidence; their choices override it.</summary>
public sealed class MappingDetectionTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-mapping-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string Write(string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void Sharegpt_conversations_are_recognised()
    {
        string path = Write("sg.jsonl", """{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "风格": "古风"}""" + "\n");
        var (rows, report) = DatasetImporter.ReadAll(path);
        Assert.Equal(RowShape.ShareGpt, report.Mapping.Shape);
        Assert.Equal("风格", report.Mapping.Style);
        Assert.Equal(1.0, report.MappingConfidence);
        Assert.Equal(("q", "a", "古风"), (rows[0].Instruction, rows[0].Output, rows[0].Style!));
    }

    [Fact]
    public void Chinese_column_names_map_by_synonym()
    {
        string path = Write("zh.csv", "现代文,古文,风格\r\n我很高兴,吾甚喜,古风\r\n");
        var (rows, report) = DatasetImporter.ReadAll(path);
        Assert.Equal(("现代文", "古文", "风格"), (report.Mapping.Input, report.Mapping.Output, report.Mapping.Style));
        Assert.Equal(("", "我很高兴", "吾甚喜"), (rows[0].Instruction, rows[0].Input!, rows[0].Output));
        Assert.Equal("我很高兴", rows[0].Query);
    }

    [Fact]
    public void Unknown_column_names_are_guessed_with_lower_confidence_and_user_choices_win()
    {
        string path = Write("pairs.tsv", "before\tafter\r\nI am unable to attend.\tcan't make it\r\nThank you.\tthx\r\n");
        var (_, guessed) = DatasetImporter.ReadAll(path);
        Assert.Equal(("before", "after"), (guessed.Mapping.Input, guessed.Mapping.Output));
        Assert.Equal(0.6, guessed.MappingConfidence);

        var (rows, chosen) = DatasetImporter.ReadAll(path, new ImportOptions(Map: [("after", "input"), ("before", "output")], Style: "formal"));
        Assert.Equal(("can't make it", "I am unable to attend.", "formal"), (rows[0].Input!, rows[0].Output, rows[0].Style!));
        Assert.Equal(1.0, chosen.MappingConfidence);
    }
}
