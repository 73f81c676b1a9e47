using System.Text;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Storage;

/// <summary>
/// Rows as stored: a chunk of <see cref="ChunkSize"/> rows is one document whose rows are a single binary blob
/// (length-prefixed UTF-8 strings, a flag byte for the optional fields). One LiteDB insert per row runs at a few thousand
/// rows/s (see shared notes), and BSON or JSON serialization of a chunk cost more than LiteDB's own page writes
/// (System.Text.Json escapes every CJK character by default); BinaryWriter is as fast as copying the text.
/// </summary>
static class RowDocuments
{
    public const int ChunkSize = 1000;

    /// <summary>"dataset:version:index", zero-padded so the primary key index returns a version's chunks in order.</summary>
    public static string ChunkId(string versionKey, int index) => $"{versionKey}:{index:D9}";

    [Flags]
    enum Present : byte
    {
        Input = 1,
        System = 2,
        Style = 4,
        History = 8,
        Score = 16,
        Author = 32,
    }

    public static byte[] Pack(IReadOnlyList<DatasetRow> rows)
    {
        using var buffer = new MemoryStream(rows.Count * 512);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(rows.Count);
            foreach (var row in rows)
            {
                var present = (row.Input is null ? 0 : Present.Input) | (row.System is null ? 0 : Present.System)
                    | (row.Style is null ? 0 : Present.Style) | (row.History.Count == 0 ? 0 : Present.History)
                    | (row.Score is null ? 0 : Present.Score) | (row.Author is null ? 0 : Present.Author);
                writer.Write((byte)present);
                writer.Write(row.Instruction);
                writer.Write(row.Output);
                if (row.Input is not null) writer.Write(row.Input);
                if (row.System is not null) writer.Write(row.System);
                if (row.Style is not null) writer.Write(row.Style);
                if (row.Score is { } score) writer.Write(score);
                if (row.Author is not null) writer.Write(row.Author);
                if (row.History.Count == 0) continue;
                writer.Write(row.History.Count);
                foreach (var turn in row.History)
                {
                    writer.Write(turn.User);
                    writer.Write(turn.Assistant);
                }
            }
        }
        return buffer.ToArray();
    }

    public static IEnumerable<DatasetRow> Unpack(byte[] blob)
    {
        using var reader = new BinaryReader(new MemoryStream(blob), Encoding.UTF8);
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            var present = (Present)reader.ReadByte();
            string instruction = reader.ReadString(), output = reader.ReadString();
            string? input = present.HasFlag(Present.Input) ? reader.ReadString() : null;
            string? system = present.HasFlag(Present.System) ? reader.ReadString() : null;
            string? style = present.HasFlag(Present.Style) ? reader.ReadString() : null;
            double? score = present.HasFlag(Present.Score) ? reader.ReadDouble() : null;
            string? author = present.HasFlag(Present.Author) ? reader.ReadString() : null;
            var history = new List<HistoryTurn>();
            if (present.HasFlag(Present.History))
                for (int turns = reader.ReadInt32(); turns > 0; turns--)
                    history.Add(new HistoryTurn(reader.ReadString(), reader.ReadString()));
            yield return new DatasetRow { Instruction = instruction, Output = output, Input = input, System = system, Style = style, History = history,
                Score = score, Author = author };
        }
    }
}
