using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using ExcelDataReader;
using Parquet;
using Parquet.Serialization;

namespace StyleStudio.Data.Import;

/// <summary>
/// Streams the records of a file in any supported format. A record that cannot be parsed on its own (a broken JSON
/// line) comes back with <see cref="SourceRecord.Problem"/> set and reading goes on; a file that cannot be read on
/// (truncated JSON array, broken CSV quoting, invalid bytes) throws <see cref="SourceFormatException"/> at its line.
/// Sizes are held to <see cref="ImportLimits"/>: an xlsx archive before it is opened (<see cref="ZipLimits"/>), a
/// Parquet row group before it is read, a JSON line as it is read; a cell over the limit rejects its row by name.
/// </summary>
public static class SourceReaders
{
    public static IEnumerable<SourceRecord> Read(string path, SourceFormat format, string encoding, int bomLength,
        ImportLimits? limits = null)
    {
        limits ??= ImportLimits.Default;
        var records = format switch
        {
            SourceFormat.JsonLines => JsonLines(path, encoding, bomLength, limits.MaxLineBytes),
            SourceFormat.JsonArray => JsonArray(path, encoding, bomLength),
            SourceFormat.Csv => Delimited(path, encoding, bomLength, ',', limits.MaxLineBytes),
            SourceFormat.Tsv => Delimited(path, encoding, bomLength, '\t', limits.MaxLineBytes),
            SourceFormat.Xlsx => Xlsx(path, limits),
            SourceFormat.Parquet => Parquet(path, limits),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        return records.Select(record => WithinFieldLimit(record, limits.MaxFieldChars));
    }

    /// <summary>The record, or — when a text cell is longer than the limit — a problem naming that cell, its value dropped.</summary>
    static SourceRecord WithinFieldLimit(SourceRecord record, int maxChars)
    {
        foreach (var (name, value) in record.Fields)
            if (value is JsonValue cell && cell.TryGetValue<string>(out var text) && text.Length > maxChars)
                return new SourceRecord(record.Location, Empty,
                    $"over-long cell: {text.Length:N0} characters (limit {maxChars:N0} per cell)", name);
        return record;
    }

    static IEnumerable<SourceRecord> JsonLines(string path, string encoding, int bomLength, int maxLineBytes)
    {
        foreach (var (number, line, skipped) in LineReader.Read(path, encoding, bomLength, maxLineBytes))
        {
            if (skipped > 0)
            {
                yield return new SourceRecord(number, Empty,
                    $"over-long line: {ZipLimits.Size(skipped)} (limit {ZipLimits.Size(maxLineBytes)} per line); not read");
                continue;
            }
            if (line.Span.IndexOfAnyExcept(" \t\r"u8) < 0) continue;
            JsonNode? node;
            string? problem = null;
            try
            {
                node = JsonNode.Parse(line.Span);
            }
            catch (JsonException e)
            {
                node = null;
                problem = $"not valid JSON at character {e.BytePositionInLine + 1} ({FirstSentence(e.Message)})";
            }
            yield return node is JsonObject row ? Record(number, row)
                : new SourceRecord(number, Empty, problem ?? "not a JSON object");
        }
    }

    /// <summary>A top-level array of objects, read element by element (any encoding is transcoded to UTF-8 first).</summary>
    static IEnumerable<SourceRecord> JsonArray(string path, string encoding, int bomLength)
    {
        using var file = File.OpenRead(path);
        file.Position = bomLength;
        var strict = TextEncodings.Strict(encoding);
        using Stream utf8 = strict is UTF8Encoding ? file : Encoding.CreateTranscodingStream(file, strict, Encoding.UTF8);
        var elements = JsonSerializer.DeserializeAsyncEnumerable<JsonNode?>(utf8, topLevelValues: false).GetAsyncEnumerator();
        long index = 0;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = elements.MoveNextAsync().AsTask().GetAwaiter().GetResult();
                }
                catch (JsonException e)
                {
                    throw new SourceFormatException(path, (e.LineNumber ?? 0) + 1, null,
                        $"malformed JSON at character {(e.BytePositionInLine ?? 0) + 1} of the line ({FirstSentence(e.Message)})");
                }
                catch (DecoderFallbackException)
                {
                    throw new SourceFormatException(path, 0, null, $"bytes not valid in {encoding} (choose the file's encoding with --encoding)");
                }
                if (!more) yield break;
                index++;
                yield return elements.Current is JsonObject row ? Record(index, row)
                    : new SourceRecord(index, Empty, "array element is not a JSON object");
            }
        }
        finally
        {
            elements.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>CSV/TSV with a header row; quoted fields may span lines (RFC 4180), via CsvHelper.</summary>
    static IEnumerable<SourceRecord> Delimited(string path, string encoding, int bomLength, char separator, int maxRecordBytes)
    {
        var file = File.OpenRead(path);
        file.Position = bomLength;
        // Transcoding through the strict decoder (UTF-8 to UTF-8 included) turns invalid bytes into an error.
        var options = new CsvReaderOptions
        {
            Separator = separator,
            MalformedData = CsvMalformedDataHandling.Throw,
            TrackLineNumbers = true,
            // A record (an unclosed quote swallows the rest of the file into one) may not grow the buffer past this.
            MaxRecordSize = maxRecordBytes,
        };
        using var csv = CsvReader.Create(Encoding.CreateTranscodingStream(file, TextEncodings.Strict(encoding), Encoding.UTF8), options, leaveOpen: false);
        string kind = separator == ',' ? "CSV" : "TSV";
        string[]? header = null;
        while (true)
        {
            try
            {
                header ??= csv.Headers.ToArray();
                if (!csv.Read()) yield break;
            }
            catch (CsvFormatException e)
            {
                // CsvHelper counts bytes of the UTF-8 it reads, which are the file's own bytes (after the BOM) only for UTF-8 files.
                long? offset = encoding == "utf-8" && e.ByteOffset > 0 ? bomLength + e.ByteOffset : null;
                throw new SourceFormatException(path, e.LineNumber, offset, e.Message.Contains(nameof(options.MaxRecordSize), StringComparison.Ordinal)
                    ? $"a {kind} record longer than {ZipLimits.Size(maxRecordBytes)}, the limit per record (an unclosed quote?)"
                    : $"malformed {kind}: {FirstSentence(e.Message)} (check the quoting)");
            }
            catch (DecoderFallbackException)
            {
                throw new SourceFormatException(path, csv.LineNumber + 1, null, $"bytes not valid in {encoding} (choose the file's encoding with --encoding)");
            }
            var fields = new Dictionary<string, JsonNode?>();
            for (int i = 0; i < header.Length; i++)
                fields[header[i]] = i < csv.FieldCount ? JsonValue.Create(csv.GetString(i)) : null;
            yield return new SourceRecord(csv.LineNumber, fields);
        }
    }

    /// <summary>The first worksheet of an .xlsx file; its first row names the columns; cells are read as displayed text.</summary>
    static IEnumerable<SourceRecord> Xlsx(string path, ImportLimits limits)
    {
        ZipLimits.Check(path, ".xlsx", limits, XlsxHeldWhole);
        TextEncodings.EnsureCodePages();
        using var stream = File.OpenRead(path);
        IExcelDataReader reader;
        try
        {
            reader = ExcelReaderFactory.CreateOpenXmlReader(stream);
        }
        catch (Exception e) when (e is ExcelDataReader.Exceptions.HeaderException or InvalidDataException or IOException or System.Xml.XmlException)
        {
            // The reader parses the sheet's layout on opening, so a cut or broken sheet (an entry that lied about its size) fails here.
            throw new SourceFormatException(path, 0, null, $"not a readable .xlsx file ({FirstSentence(e.Message)})");
        }
        using (reader)
        {
            if (!NextRow(reader, path, 1)) yield break;
            var header = Enumerable.Range(0, reader.FieldCount).Select(i => Cell(reader.GetValue(i)) ?? $"column{i + 1}").ToArray();
            long row = 1;
            while (NextRow(reader, path, row + 1))
            {
                row++;
                var fields = new Dictionary<string, JsonNode?>();
                for (int i = 0; i < header.Length; i++)
                    fields[header[i]] = i < reader.FieldCount && Cell(reader.GetValue(i)) is { } value ? JsonValue.Create(value) : null;
                if (fields.Values.All(v => v is null)) continue;   // spreadsheets end in blank rows
                yield return new SourceRecord(row, fields);
            }
        }
    }

    /// <summary>ExcelDataReader keeps the shared string table in memory; sheets it streams.</summary>
    static readonly IReadOnlySet<string> XlsxHeldWhole = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "xl/sharedStrings.xml" };

    /// <summary>Reads the next sheet row; a damaged part of the workbook (cut XML, a broken entry) stops with its row.</summary>
    static bool NextRow(IExcelDataReader reader, string path, long row)
    {
        try
        {
            return reader.Read();
        }
        catch (Exception e) when (e is System.Xml.XmlException or InvalidDataException or IOException or FormatException)
        {
            throw new SourceFormatException(path, row, null, $"not a readable .xlsx file: the sheet breaks off at row {row:N0} ({FirstSentence(e.Message)})");
        }
    }

    static string? Cell(object? value) => value switch
    {
        null or DBNull => null,
        double d => d.ToString(CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    /// <summary>Row group by row group (bounded memory), nested lists and structs kept as JSON arrays and objects.</summary>
    static IEnumerable<SourceRecord> Parquet(string path, ImportLimits limits)
    {
        using var stream = File.OpenRead(path);
        int groups;
        try
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            groups = reader.RowGroupCount;
            // Each row group is read whole, so its size is what memory must hold.
            var largest = reader.Metadata?.RowGroups.Select((g, i) => (Size: g.TotalByteSize, Index: i)).DefaultIfEmpty().MaxBy(g => g.Size);
            if (largest is { } group && group.Size > limits.MaxRowGroupBytes)
                throw new ImportLimitException($"{System.IO.Path.GetFileName(path)}: row group {group.Index + 1} of {groups} holds " +
                    $"{ZipLimits.Size(group.Size)} uncompressed; the limit is {ZipLimits.Size(limits.MaxRowGroupBytes)} per row group " +
                    "(write the file with smaller row groups)");
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ParquetException)
        {
            throw new SourceFormatException(path, 0, null, $"not a readable Parquet file ({FirstSentence(e.Message)})");
        }
        long row = 0;
        for (int group = 0; group < groups; group++)
        {
            stream.Position = 0;
            var data = ParquetSerializer.DeserializeUntypedAsync(stream, rowGroupIndex: group).GetAwaiter().GetResult().Data;
            foreach (var values in data)
                yield return new SourceRecord(++row, values.ToDictionary(v => v.Key, v => ToJson(v.Value)));
        }
    }

    static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        IDictionary<string, object?> map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, ToJson(p.Value)))),
        System.Collections.IEnumerable list and not byte[] => new JsonArray(list.Cast<object?>().Select(ToJson).ToArray()),
        _ => JsonSerializer.SerializeToNode(value),
    };

    static readonly IReadOnlyDictionary<string, JsonNode?> Empty = new Dictionary<string, JsonNode?>();

    static SourceRecord Record(long location, JsonObject row) =>
        new(location, row.ToDictionary(p => p.Key, p => p.Value));

    static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).TrimEnd('.');
    }
}
