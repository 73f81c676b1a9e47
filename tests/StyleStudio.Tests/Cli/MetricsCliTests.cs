using System.Text.Json;
using StyleStudio.Tests.Evaluation;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary>`stylestudio metrics` as a user runs it: files in, sacreBLEU's numbers out; bad files named with the reason.</summary>
public class MetricsCliTests
{
    static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "metrics", "metrics_cli.json"))).RootElement;

    static JsonElement Case(string name) => Reference.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("case").GetString() == name);

    static string Line(string folder, string name) => Path.Combine(MetricsParityTests.Folder(folder), name);

    [Fact]
    public void Chinese_two_references_with_source_print_sacrebleu_numbers_as_json()
    {
        var result = CliRunner.Run("metrics", "--hyp", Line("zh-multi", "hyp.txt"), "--ref", Line("zh-multi", "ref1.txt"),
            "--ref", Line("zh-multi", "ref2.txt"), "--src", Line("zh-multi", "src.txt"), "--lang", "zh", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var expected = Case("zh-multi");
        Assert.Equal("zh", json.GetProperty("tokenize").GetString());
        Assert.Equal(expected.GetProperty("bleu").GetProperty("zh").GetProperty("score").GetDouble(), json.GetProperty("bleu").GetDouble(), 1e-9);
        Assert.Equal(expected.GetProperty("chrf").GetDouble(), json.GetProperty("chrf").GetDouble(), 1e-9);
        Assert.Equal(expected.GetProperty("chrf_plus_plus").GetDouble(), json.GetProperty("chrf_plus_plus").GetDouble(), 1e-9);
        Assert.Equal(expected.GetProperty("ter").GetProperty("default").GetProperty("score").GetDouble(), json.GetProperty("ter").GetDouble(), 1e-9);
        Assert.Equal(expected.GetProperty("self_bleu").GetProperty("zh").GetDouble(), json.GetProperty("self_bleu").GetDouble(), 1e-9);
    }

    [Fact]
    public void Tokenize_and_ter_options_are_passed_through()
    {
        var result = CliRunner.Run("metrics", "--hyp", Line("edge", "hyp.txt"), "--ref", Line("edge", "ref1.txt"),
            "--ref", Line("edge", "ref2.txt"), "--tokenize", "intl", "--ter-normalized", "--ter-asian-support", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var expected = Case("edge");
        Assert.Equal(expected.GetProperty("bleu").GetProperty("intl").GetProperty("score").GetDouble(), json.GetProperty("bleu").GetDouble(), 1e-9);
        Assert.Equal(expected.GetProperty("ter").GetProperty("normalized-asian").GetProperty("score").GetDouble(), json.GetProperty("ter").GetDouble(), 1e-9);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("self_bleu").ValueKind);
    }

    [Fact]
    public void References_listed_after_one_ref_equal_repeated_ref_options()
    {
        var repeated = CliRunner.Run("metrics", "--hyp", Line("en-multi", "hyp.txt"), "--ref", Line("en-multi", "ref1.txt"),
            "--ref", Line("en-multi", "ref2.txt"), "--json");
        var listed = CliRunner.Run("metrics", "--hyp", Line("en-multi", "hyp.txt"), "--ref", Line("en-multi", "ref1.txt"),
            Line("en-multi", "ref2.txt"), "--json");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        Assert.Equal(repeated.Stdout, listed.Stdout);
        Assert.Equal(2, JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("references").GetInt32());
    }

    [Fact]
    public void A_line_count_mismatch_names_both_files_and_counts()
    {
        var folder = Directory.CreateTempSubdirectory("metrics-cli-").FullName;
        var hyp = Path.Combine(folder, "hyp.txt");
        var reference = Path.Combine(folder, "ref.txt");
        File.WriteAllText(hyp, "a\nb\nc\n");
        File.WriteAllText(reference, "a\nb\n");
        var result = CliRunner.Run("metrics", "--hyp", hyp, "--ref", reference);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{reference} has 2 lines but {hyp} has 3", result.Stderr);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_refused_with_its_line()
    {
        var folder = Directory.CreateTempSubdirectory("metrics-cli-").FullName;
        var hyp = Path.Combine(folder, "hyp.txt");
        var reference = Path.Combine(folder, "ref.txt");
        File.WriteAllText(hyp, "a\nb\n");
        File.WriteAllBytes(reference, [(byte)'a', (byte)'\n', 0xC4, 0xE3, 0xBA, 0xC3, (byte)'\n']);   // GBK 你好
        var result = CliRunner.Run("metrics", "--hyp", hyp, "--ref", reference);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{reference}: line 2 is not valid UTF-8", result.Stderr);
    }
}
