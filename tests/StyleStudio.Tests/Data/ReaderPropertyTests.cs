using System.Text;
using System.Text.Json;
using CsvHelper;
using FsCheck;
using FsCheck.Fluent;
using StyleStudio.Data.Import;

namespace StyleStudio.Tests.Data;

/// <summary>
/// Property tests: whatever text a field holds — quotes, separators, line breaks, CJK, emoji — a file written by a standard
/// writer (CsvHelper's, System.Text.Json) reads back field for field.
/// </summary>
public sealed class ReaderPropertyTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-properties-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // Characters chosen to stress the readers: quoting, separators, line ends, multi-byte text.
    static readonly Gen<string> Field = Gen.Elements("a", "Z", " ", ",", "\t", "\"", "\n", "\r\n", "古", "风", "，", "😀", "\\", "{", "}")
        .ArrayOf().Select(string.Concat);

    static readonly Gen<string[][]> Table =
        Gen.Choose(1, 4).SelectMany(columns => Field.ArrayOf(columns).NonEmptyListOf().Select(rows => rows.ToArray()));

    [Fact]
    public void Csv_and_tsv_round_trip_any_field_text()
    {
        int file = 0;
        Prop.ForAll(Table.ToArbitrary(), rows =>
        {
            foreach (char separator in new[] { ',', '\t' })
            {
                string path = Path.Combine(folder, $"t{file++}.{(separator == ',' ? "csv" : "tsv")}");
                int columns = rows[0].Length;
                var header = Enumerable.Range(0, columns).Select(i => $"c{i}").ToArray();
                using (var stream = File.Create(path))
                using (var writer = CsvWriter.Create(stream, new CsvWriterOptions { Separator = separator }, leaveOpen: false))
                {
                    writer.WriteRecord(header);
                    foreach (var row in rows) writer.WriteRecord(row.Take(columns).Concat(Enumerable.Repeat("", Math.Max(0, columns - row.Length))).ToArray());
                }
                var read = SourceReaders.Read(path, separator == ',' ? SourceFormat.Csv : SourceFormat.Tsv, "utf-8", 0).ToList();
                var expected = rows;
                if (read.Count != expected.Length) return false;
                for (int r = 0; r < read.Count; r++)
                    for (int c = 0; c < columns; c++)
                        if ((read[r].Fields[header[c]]?.GetValue<string>() ?? "") != (c < expected[r].Length ? expected[r][c] : ""))
                            return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Json_lines_round_trip_any_field_text()
    {
        int file = 0;
        Prop.ForAll(Table.ToArbitrary(), rows =>
        {
            string path = Path.Combine(folder, $"j{file++}.jsonl");
            File.WriteAllLines(path, rows.Select(r => JsonSerializer.Serialize(r.Select((v, i) => (v, i)).ToDictionary(p => $"c{p.i}", p => p.v))), new UTF8Encoding(false));
            var read = SourceReaders.Read(path, SourceFormat.JsonLines, "utf-8", 0).ToList();
            return read.Count == rows.Length && read.Zip(rows).All(pair =>
                pair.First.Problem is null && pair.Second.Select((v, i) => pair.First.Fields[$"c{i}"]!.GetValue<string>() == v).All(ok => ok));
        }).QuickCheckThrowOnFailure();
    }
}
