using System.Text.Json;
using System.Text.Json.Serialization;
using StyleStudio.Data.Model;
using StyleStudio.Training.Sft;

namespace StyleStudio.Data.Storage;

/// <summary>
/// Rows as stored: a chunk of <see cref="ChunkSize"/> rows is one document whose rows are a single UTF-8 JSON blob with
/// short field names. One insert per row runs at a few thousand rows/s in LiteDB (see shared notes); chunks run at
/// 20–28k rows/s on this machine, nested BSON documents and a blob alike, and the blob is the smaller file.
/// </summary>
static class RowDocuments
{
    public const int ChunkSize = 1000;

    sealed record StoredRow(
        [property: JsonPropertyName("i")] string Instruction,
        [property: JsonPropertyName("o")] string Output,
        [property: JsonPropertyName("in"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Input,
        [property: JsonPropertyName("sys"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? System,
        [property: JsonPropertyName("st"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Style,
        [property: JsonPropertyName("h"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[][]? History);

    public static byte[] Pack(IReadOnlyList<DatasetRow> rows) => JsonSerializer.SerializeToUtf8Bytes(rows.Select(r => new StoredRow(
        r.Instruction, r.Output, r.Input, r.System, r.Style,
        r.History.Count == 0 ? null : r.History.Select(t => new[] { t.User, t.Assistant }).ToArray())).ToList());

    public static IEnumerable<DatasetRow> Unpack(byte[] blob) => JsonSerializer.Deserialize<List<StoredRow>>(blob)!.Select(r => new DatasetRow
    {
        Instruction = r.Instruction,
        Output = r.Output,
        Input = r.Input,
        System = r.System,
        Style = r.Style,
        History = r.History?.Select(t => new Turn(t[0], t[1])).ToList() ?? [],
    });
}
