using System.CommandLine;
using StyleStudio.Evaluation.Agreement;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio agreement --ratings FILE.csv --level nominal|ordinal|interval|ratio [--json]</c>: Krippendorff's α of a
/// ratings table with the columns unit,rater,value (a missing value is a missing row or an empty cell; other column
/// names with --unit-column, --rater-column, --value-column), with the number of units, raters and pairable values it
/// rests on. α undefined (nothing pairable, or a single value throughout) is an
/// error that says why.
/// </summary>
static class AgreementCommand
{
    public static Command Create()
    {
        var ratings = new Option<FileInfo>("--ratings") { Description = "CSV with the header columns unit,rater,value (UTF-8)", Required = true };
        var level = new Option<string>("--level") { Description = "level of measurement: nominal, ordinal, interval or ratio", Required = true };
        level.AcceptOnlyFromAmong("nominal", "ordinal", "interval", "ratio");
        var unitColumn = new Option<string>("--unit-column") { Description = "the header of the column naming the unit rated", DefaultValueFactory = _ => RatingsTable.DefaultColumns.Unit };
        var raterColumn = new Option<string>("--rater-column") { Description = "the header of the column naming the rater", DefaultValueFactory = _ => RatingsTable.DefaultColumns.Rater };
        var valueColumn = new Option<string>("--value-column") { Description = "the header of the column with the value (a rating study's export: preference)", DefaultValueFactory = _ => RatingsTable.DefaultColumns.Value };
        var json = CommonOptions.Json();
        var command = new Command("agreement", "Inter-rater agreement of a ratings table: Krippendorff's alpha")
        {
            ratings, level, unitColumn, raterColumn, valueColumn, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var table = RatingsTable.Read(parse.GetValue(ratings)!.FullName,
                (parse.GetValue(unitColumn)!, parse.GetValue(raterColumn)!, parse.GetValue(valueColumn)!));
            var measurement = Enum.Parse<MeasurementLevel>(parse.GetValue(level)!, ignoreCase: true);
            var result = table.Alpha(measurement);
            if (!result.IsDefined) throw new InvalidOperationException($"α is undefined: {result.Undefined}");
            if (parse.GetValue(json))
            {
                CliOutput.PrintJson(new
                {
                    result.Alpha,
                    Level = parse.GetValue(level),
                    result.Units,
                    result.PairableUnits,
                    result.PairableValues,
                    Raters = table.Raters.Count,
                    result.ObservedDisagreement,
                    result.ExpectedDisagreement,
                });
                return 0;
            }
            Console.WriteLine($"Krippendorff's alpha ({parse.GetValue(level)}): {result.Alpha:F4}");
            Console.WriteLine($"units: {result.Units} ({result.PairableUnits} pairable), raters: {table.Raters.Count}, pairable values: {result.PairableValues}");
            Console.WriteLine($"disagreement observed {result.ObservedDisagreement:F4}, expected by chance {result.ExpectedDisagreement:F4}");
            return 0;
        }));
        return command;
    }
}
