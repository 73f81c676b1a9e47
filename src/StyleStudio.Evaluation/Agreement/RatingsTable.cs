using System.Globalization;
using System.Text.RegularExpressions;
using CsvHelper;

namespace StyleStudio.Evaluation.Agreement;

/// <summary>
/// A long-format ratings table, one row per (unit, rater, value), as <c>stylestudio agreement</c> reads it from CSV with
/// the header columns <c>unit,rater,value</c> (any order, any case, other columns ignored). A missing value is a missing
/// row or an empty value cell. The same rater giving the same unit the same value twice counts once; a different value is
/// an error, since α assumes one value per rater and unit.
/// </summary>
public sealed class RatingsTable
{
    /// <summary>The column names read unless the caller names others.</summary>
    public static readonly (string Unit, string Rater, string Value) DefaultColumns = ("unit", "rater", "value");

    RatingsTable(string source, IReadOnlyList<RatingEntry> entries)
    {
        Source = source;
        Entries = entries;
    }

    /// <summary>Where the table came from, for error messages.</summary>
    public string Source { get; }

    /// <summary>Every non-empty value in file order (empty value cells are left out: they are missing values).</summary>
    public IReadOnlyList<RatingEntry> Entries { get; }

    /// <summary>Every unit named in the table, values or not, in first-seen order.</summary>
    public IReadOnlyList<string> Units { get; private init; } = [];

    public IReadOnlyList<string> Raters => Entries.Select(e => e.Rater).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Builds a table from rows already in memory (the rating page's ratings); lines are numbered as a CSV file would be.</summary>
    public static RatingsTable FromRows(string source, IEnumerable<(string Unit, string Rater, string? Value)> rows)
    {
        var entries = new List<RatingEntry>();
        var units = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long line = 1;
        foreach (var (unit, rater, value) in rows)
        {
            line++;
            if (seen.Add(unit)) units.Add(unit);
            if (!string.IsNullOrWhiteSpace(value)) entries.Add(new RatingEntry(unit, rater, value.Trim(), line));
        }
        return new RatingsTable(source, entries) { Units = units };
    }

    /// <summary>Reads a UTF-8 CSV file (a BOM is allowed) through CsvHelper, so quoted fields may hold commas and line breaks.</summary>
    /// <param name="columns">The header names of the unit, rater and value columns (matched ignoring case); defaults to
    /// unit, rater, value. A rating study's export reads with ("item", "rater", "preference").</param>
    /// <exception cref="RatingsFileException">No header, a missing column, an empty unit or rater, malformed CSV.</exception>
    public static RatingsTable Read(string path, (string Unit, string Rater, string Value)? columns = null)
    {
        var (unitColumn, raterColumn, valueColumn) = columns ?? DefaultColumns;
        string[] names = [unitColumn, raterColumn, valueColumn];
        string wanted = string.Join(",", names);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var entries = new List<RatingEntry>();
        var units = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var options = new CsvReaderOptions { TrackLineNumbers = true, MalformedData = CsvMalformedDataHandling.Throw };
        try
        {
            using var csv = CsvReader.FromFile(path, options);
            // A BOM that reached the first name (a spreadsheet's "CSV UTF-8") is not part of it.
            var header = csv.Headers.Select(h => h.Trim().TrimStart('\uFEFF').Trim()).ToArray();
            if (header.Length == 0 || header.All(h => h.Length == 0))
                throw new RatingsFileException(path, 1, $"the file is empty: the first line must be a header with the columns {wanted}");
            var at = new int[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                at[i] = Array.FindIndex(header, h => h.Equals(names[i], StringComparison.OrdinalIgnoreCase));
                if (at[i] < 0)
                    throw new RatingsFileException(path, 1, $"no '{names[i]}' column: the header needs {wanted} (found: {string.Join(",", header)})");
            }
            while (csv.Read())
            {
                long line = csv.LineNumber;
                string Field(int column) => at[column] < csv.FieldCount ? csv.GetString(at[column]).Trim() : "";
                string unit = Field(0), rater = Field(1), value = Field(2);
                if (unit.Length == 0 && rater.Length == 0 && value.Length == 0) continue;   // a blank line
                if (unit.Length == 0) throw new RatingsFileException(path, line, "the unit is empty: every row names the unit it rates");
                if (rater.Length == 0) throw new RatingsFileException(path, line, $"the rater is empty (unit '{unit}'): every row names who rated");
                if (seen.Add(unit)) units.Add(unit);
                if (value.Length > 0) entries.Add(new RatingEntry(unit, rater, value, line));
            }
        }
        catch (CsvFormatException e)
        {
            // CsvHelper's message repeats the record, line and byte offset; keep what went wrong.
            string what = Regex.Replace(e.Message, @"^Malformed CSV in record \d+ \(line \d+\):\s*|\s*\(byte offset \d+\)\.?", "");
            throw new RatingsFileException(path, e.LineNumber, $"malformed CSV: {what} (check the quoting)");
        }
        return new RatingsTable(path, entries) { Units = units };
    }

    /// <summary>
    /// The values per unit at <paramref name="level"/>: strings for nominal data, numbers otherwise (ordinal data are
    /// ranked numerically, so ordered categories must be coded as numbers, e.g. 1–5).
    /// </summary>
    /// <exception cref="RatingsFileException">A non-numeric value where numbers are needed, or a rater who gave one unit two different values.</exception>
    public AlphaResult Alpha(MeasurementLevel level)
    {
        if (level == MeasurementLevel.Nominal)
        {
            var labels = Grouped(e => e.Value, StringComparer.Ordinal, e => $"'{e.Value}'");
            return KrippendorffAlpha.Nominal(labels);
        }
        var numbers = Grouped(e => Number(e, level), EqualityComparer<double>.Default, e => $"'{e.Value}'");
        return KrippendorffAlpha.Compute(numbers, level);
    }

    List<List<T>> Grouped<T>(Func<RatingEntry, T> read, IEqualityComparer<T> equal, Func<RatingEntry, string> show)
    {
        var byUnit = Units.ToDictionary(u => u, _ => new Dictionary<string, (T Value, RatingEntry Entry)>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var entry in Entries)
        {
            var value = read(entry);
            var raters = byUnit[entry.Unit];
            if (raters.TryGetValue(entry.Rater, out var earlier))
            {
                if (!equal.Equals(earlier.Value, value))
                    throw new RatingsFileException(Source, entry.Line, $"rater '{entry.Rater}' rated unit '{entry.Unit}' again with a different value " +
                        $"({show(entry)}; line {earlier.Entry.Line} gave {show(earlier.Entry)}): α needs one value per rater and unit");
                continue;
            }
            raters[entry.Rater] = (value, entry);
        }
        return Units.Select(u => byUnit[u].Values.Select(v => v.Value).ToList()).ToList();
    }

    double Number(RatingEntry entry, MeasurementLevel level)
    {
        string name = level.ToString().ToLowerInvariant();
        if (!double.TryParse(entry.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number))
            throw new RatingsFileException(Source, entry.Line, level == MeasurementLevel.Ordinal
                ? $"value '{entry.Value}' is not a number: the ordinal level orders values numerically, so code ordered categories as numbers (e.g. 1–5)"
                : $"value '{entry.Value}' is not a number: the {name} level needs numbers (use --level nominal for categories; leave the cell empty for a missing value)");
        if (level == MeasurementLevel.Ratio && number < 0)
            throw new RatingsFileException(Source, entry.Line, $"value {entry.Value} is negative: the ratio level needs values with an absolute zero (≥ 0)");
        return number;
    }
}
