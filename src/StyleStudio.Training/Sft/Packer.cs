namespace StyleStudio.Training.Sft;

/// <summary>
/// Packs examples into rows of at most <c>maxLength</c> tokens, longest first into the first row with room (first-fit
/// decreasing), so short style pairs stop paying for padding. Example order within the data set is not preserved.
/// </summary>
public static class Packer
{
    public static IReadOnlyList<PackedRow> Pack(IReadOnlyList<EncodedExample> examples, int maxLength)
    {
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "pack length must be positive");
        var rows = new List<(List<EncodedExample> Items, int Used)>();
        foreach (var example in examples.OrderByDescending(e => e.Length))
        {
            int row = rows.FindIndex(r => r.Used + example.Length <= maxLength);
            if (row < 0)
                rows.Add(([example], example.Length));
            else
                rows[row] = (rows[row].Items.Append(example).ToList(), rows[row].Used + example.Length);
        }
        return rows.Select(r => PackedRow.Of(r.Items)).ToList();
    }

    /// <summary>Share of tokens in padded batches that are padding — what packing saves.</summary>
    public static double PaddingShare(IEnumerable<int> lengths, int batchSize)
    {
        long real = 0, total = 0;
        foreach (var batch in lengths.Chunk(batchSize))
        {
            real += batch.Sum();
            total += (long)batch.Max() * batch.Length;
        }
        return total == 0 ? 0 : 1 - (double)real / total;
    }
}
