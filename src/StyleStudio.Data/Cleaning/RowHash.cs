using System.IO.Hashing;
using System.Runtime.InteropServices;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Cleaning;

/// <summary>A 128-bit hash of every field of a row (stable across processes, unlike string.GetHashCode).</summary>
static class RowHash
{
    public static UInt128 Of(DatasetRow row)
    {
        var hash = new XxHash128();
        void Add(string? text)
        {
            hash.Append(MemoryMarshal.AsBytes((text ?? "\0null").AsSpan()));
            hash.Append([0xFF, 0xFE]);   // a separator no UTF-16 text produces, so fields cannot run into each other
        }
        Add(row.Instruction);
        Add(row.Input);
        Add(row.Output);
        Add(row.System);
        Add(row.Style);
        foreach (var turn in row.History)
        {
            Add(turn.User);
            Add(turn.Assistant);
        }
        return hash.GetCurrentHashAsUInt128();
    }
}
