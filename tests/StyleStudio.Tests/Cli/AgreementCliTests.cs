using System.Text;
using System.Text.Json;
using StyleStudio.Evaluation.Agreement;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary>
/// <c>stylestudio agreement</c> run as a user runs it: a long-format CSV in, α and its counts out, and errors that name the
/// line and the reason.
/// </summary>
public sealed class AgreementCliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("agreement-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Krippendorff (2011) section C's 4 observers × 12 units as a long table, missing values as absent rows.</summary>
    static readonly (string Rater, double?[] Values)[] FourObservers =
    [
        ("A", [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null]),
        ("B", [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3]),
        ("C", [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null]),
        ("D", [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null]),
    ];

    string Write(string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    string LongTable(bool missingAsEmptyCells)
    {
        var lines = new List<string> { "unit,rater,value" };
        foreach (var (rater, values) in FourObservers)
            for (int u = 0; u < values.Length; u++)
                if (values[u] is { } v) lines.Add($"u{u + 1},{rater},{v}");
                else if (missingAsEmptyCells) lines.Add($"u{u + 1},{rater},");
        return string.Join("\n", lines) + "\n";
    }

    [Theory]
    [InlineData("nominal", 0.743)]
    [InlineData("ordinal", 0.815)]
    [InlineData("interval", 0.849)]
    [InlineData("ratio", 0.797)]
    public void Json_gives_the_published_alpha_and_its_counts(string level, double printed)
    {
        foreach (bool emptyCells in new[] { false, true })
        {
            var result = CliRunner.Run("agreement", "--ratings", Write($"ratings-{emptyCells}.csv", LongTable(emptyCells)), "--level", level, "--json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            var json = JsonDocument.Parse(result.Stdout).RootElement;
            Assert.Equal(printed, json.GetProperty("alpha").GetDouble(), 1e-3);
            Assert.Equal(level, json.GetProperty("level").GetString());
            Assert.Equal(12, json.GetProperty("units").GetInt32());
            Assert.Equal(11, json.GetProperty("pairable_units").GetInt32());
            Assert.Equal(40, json.GetProperty("pairable_values").GetInt32());
            Assert.Equal(4, json.GetProperty("raters").GetInt32());
        }
    }

    [Fact]
    public void Text_output_prints_alpha_and_counts_and_columns_may_come_in_any_order_and_case()
    {
        // Quoted fields with commas and Chinese labels, BOM, CRLF, extra column: a spreadsheet's export.
        string csv = "\uFEFFNote,Value,Rater,Unit\r\n" +
                     "x,\"正式, 书面\",张三,1\r\nx,\"正式, 书面\",李四,1\r\n" +
                     "x,口语,张三,2\r\nx,口语,李四,2\r\n" +
                     "x,口语,张三,3\r\nx,\"正式, 书面\",李四,3\r\n";
        var result = CliRunner.Run("agreement", "--ratings", Write("labels.csv", csv), "--level", "nominal");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var expected = KrippendorffAlpha.Nominal(new[] { new[] { "正式, 书面", "正式, 书面" }, ["口语", "口语"], ["口语", "正式, 书面"] });
        Assert.Contains($"Krippendorff's alpha (nominal): {expected.Alpha:F4}", result.Stdout);
        Assert.Contains("units: 3 (3 pairable), raters: 2, pairable values: 6", result.Stdout);
    }

    [Fact]
    public void Other_column_names_are_chosen_by_option_and_a_BOM_before_the_first_is_ignored()
    {
        string csv = "\uFEFFitem,coder,preference\n1,ann,system_1\n1,bob,system_1\n2,ann,tie\n2,bob,system_2\n3,ann,system_2\n3,bob,system_2\n";
        string path = Write("export.csv", csv);
        var result = CliRunner.Run("agreement", "--ratings", path, "--level", "nominal", "--unit-column", "item",
            "--rater-column", "coder", "--value-column", "preference", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var expected = KrippendorffAlpha.Nominal(new[] { new[] { "system_1", "system_1" }, ["tie", "system_2"], ["system_2", "system_2"] });
        Assert.Equal(expected.Alpha, JsonDocument.Parse(result.Stdout).RootElement.GetProperty("alpha").GetDouble(), 1e-12);

        var defaults = CliRunner.Run("agreement", "--ratings", path, "--level", "nominal");
        Assert.Equal(1, defaults.ExitCode);
        Assert.Contains("line 1: no 'unit' column: the header needs unit,rater,value (found: item,coder,preference)", defaults.Stderr);
    }

    [Fact]
    public void A_missing_column_is_named()
    {
        var result = CliRunner.Run("agreement", "--ratings", Write("no-value.csv", "unit,rater,score\n1,a,2\n"), "--level", "interval");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 1: no 'value' column", result.Stderr);
        Assert.Contains("found: unit,rater,score", result.Stderr);
    }

    [Fact]
    public void A_rater_giving_one_unit_two_values_is_an_error_naming_both_lines()
    {
        string csv = "unit,rater,value\n1,ann,2\n1,bob,3\n2,ann,1\n1,ann,4\n";
        var result = CliRunner.Run("agreement", "--ratings", Write("twice.csv", csv), "--level", "ordinal");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 5: rater 'ann' rated unit '1' again with a different value ('4'; line 2 gave '2')", result.Stderr);
        // The same value twice is a repeated row, not a conflict.
        var repeated = CliRunner.Run("agreement", "--ratings", Write("repeat.csv", "unit,rater,value\n1,ann,2\n1,bob,3\n2,ann,1\n2,bob,1\n1,ann,2.0\n"), "--level", "interval", "--json");
        Assert.True(repeated.ExitCode == 0, repeated.Stderr);
        Assert.Equal(4, JsonDocument.Parse(repeated.Stdout).RootElement.GetProperty("pairable_values").GetInt32());
    }

    [Theory]
    [InlineData("interval", "line 3: value 'good' is not a number: the interval level needs numbers")]
    [InlineData("ordinal", "line 3: value 'good' is not a number: the ordinal level orders values numerically")]
    public void A_word_where_numbers_are_needed_names_the_line(string level, string message)
    {
        var result = CliRunner.Run("agreement", "--ratings", Write("word.csv", "unit,rater,value\n1,a,3\n1,b,good\n"), "--level", level);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }

    [Fact]
    public void Empty_unit_negative_ratio_and_undefined_alpha_are_explained()
    {
        var emptyUnit = CliRunner.Run("agreement", "--ratings", Write("empty-unit.csv", "unit,rater,value\n1,a,3\n,b,2\n"), "--level", "nominal");
        Assert.Equal(1, emptyUnit.ExitCode);
        Assert.Contains("line 3: the unit is empty", emptyUnit.Stderr);

        var negative = CliRunner.Run("agreement", "--ratings", Write("negative.csv", "unit,rater,value\n1,a,3\n1,b,-2\n"), "--level", "ratio");
        Assert.Equal(1, negative.ExitCode);
        Assert.Contains("line 3: value -2 is negative", negative.Stderr);

        var single = CliRunner.Run("agreement", "--ratings", Write("single.csv", "unit,rater,value\n1,a,3\n2,b,2\n"), "--level", "interval", "--json");
        Assert.Equal(1, single.ExitCode);
        Assert.Contains("α is undefined: no unit has values from two or more raters", single.Stderr);
        Assert.Equal("", single.Stdout);

        var constant = CliRunner.Run("agreement", "--ratings", Write("constant.csv", "unit,rater,value\n1,a,3\n1,b,3\n2,a,3\n2,b,3\n"), "--level", "ordinal");
        Assert.Equal(1, constant.ExitCode);
        Assert.Contains("all 4 pairable values are 3", constant.Stderr);

        var empty = CliRunner.Run("agreement", "--ratings", Write("empty.csv", ""), "--level", "nominal");
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("error:", empty.Stderr);

        var badLevel = CliRunner.Run("agreement", "--ratings", Write("any.csv", "unit,rater,value\n"), "--level", "circular");
        Assert.NotEqual(0, badLevel.ExitCode);
    }
}
