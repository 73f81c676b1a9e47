namespace StyleStudio.Data.Import;

public enum SourceFormat
{
    JsonLines,
    JsonArray,
    Csv,
    Tsv,
    Xlsx,
    Parquet,
}

public static class SourceFormats
{
    /// <summary>The format from the extension; a .json file is a JSON array when it starts with '[', JSON Lines otherwise.</summary>
    public static SourceFormat Detect(string path, string encoding, int bomLength) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".ndjson" => SourceFormat.JsonLines,
        ".json" => StartsWithBracket(path, encoding, bomLength) ? SourceFormat.JsonArray : SourceFormat.JsonLines,
        ".csv" => SourceFormat.Csv,
        ".tsv" or ".tab" => SourceFormat.Tsv,
        ".xlsx" => SourceFormat.Xlsx,
        ".parquet" => SourceFormat.Parquet,
        var other => throw new ArgumentException(
            $"{Path.GetFileName(path)}: unknown file type '{other}'; use .json, .jsonl, .csv, .tsv, .xlsx or .parquet, or pass --format"),
    };

    public static SourceFormat Parse(string name) => name.ToLowerInvariant() switch
    {
        "jsonl" or "json-lines" => SourceFormat.JsonLines,
        "json" => SourceFormat.JsonArray,
        "csv" => SourceFormat.Csv,
        "tsv" => SourceFormat.Tsv,
        "xlsx" => SourceFormat.Xlsx,
        "parquet" => SourceFormat.Parquet,
        _ => throw new ArgumentException($"unknown format '{name}'; choose from jsonl, json, csv, tsv, xlsx, parquet"),
    };

    /// <summary>Whether each record names its own fields (JSON), rather than a header naming them for all.</summary>
    public static bool IsJson(SourceFormat format) => format is SourceFormat.JsonLines or SourceFormat.JsonArray;

    /// <summary>Whether the format is text (and so has an encoding).</summary>
    public static bool IsText(SourceFormat format) => format is not (SourceFormat.Xlsx or SourceFormat.Parquet);

    static bool StartsWithBracket(string path, string encoding, int bomLength)
    {
        foreach (var (_, line, _) in LineReader.Read(path, encoding, bomLength))
        {
            int first = line.Span.IndexOfAnyExcept(" \t\r"u8);
            if (first >= 0) return line.Span[first] == '[';
        }
        return false;
    }
}
