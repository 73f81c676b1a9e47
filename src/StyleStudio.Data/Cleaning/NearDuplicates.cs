using System.IO.Hashing;
using System.Runtime.InteropServices;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Cleaning;

/// <summary>
/// Removes rows nearly identical to an earlier one: MinHash signatures over character shingles of the prompt and answer
/// (characters, not words, so Chinese works), locality-sensitive hashing in bands to find candidates, and the signature
/// agreement (an estimate of Jaccard similarity) ≥ <see cref="Threshold"/> to confirm. Keeps the first of each group.
/// Hand-written: no served .NET package offers MinHash/LSH. Memory: a 64-value signature (256 bytes) per kept row.
/// </summary>
public sealed class NearDuplicates : CleaningStep
{
    const int Permutations = 64, Bands = 16, RowsPerBand = Permutations / Bands;   // candidates from ~0.5 similarity up
    const int ShingleLength = 3;

    readonly List<uint[]> signatures = [];
    readonly Dictionary<ulong, List<int>>[] buckets = Enumerable.Range(0, Bands).Select(_ => new Dictionary<ulong, List<int>>()).ToArray();

    public double Threshold { get; }

    public NearDuplicates(double threshold = 0.85)
    {
        if (threshold is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "similarity threshold must be in (0, 1]");
        Threshold = threshold;
    }

    public override string Name => $"near-duplicates ≥ {Threshold:0.##}";

    protected override DatasetRow? Transform(DatasetRow row)
    {
        var signature = Signature(row.Query + "\u0001" + row.Output);
        var bandKeys = new ulong[Bands];
        for (int band = 0; band < Bands; band++)
        {
            bandKeys[band] = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(signature.AsSpan(band * RowsPerBand, RowsPerBand)), band);
            if (buckets[band].TryGetValue(bandKeys[band], out var candidates) && candidates.Any(c => Similarity(signatures[c], signature) >= Threshold))
                return null;
        }
        int index = signatures.Count;
        signatures.Add(signature);
        for (int band = 0; band < Bands; band++)
        {
            if (!buckets[band].TryGetValue(bandKeys[band], out var list)) buckets[band][bandKeys[band]] = list = [];
            list.Add(index);
        }
        return row;
    }

    /// <summary>Minimum of 64 hash functions over the text's shingles, derived from two base hashes (h1 + i·h2).</summary>
    static uint[] Signature(string text)
    {
        var signature = new uint[Permutations];
        Array.Fill(signature, uint.MaxValue);
        var chars = text.AsSpan();
        int count = Math.Max(1, chars.Length - ShingleLength + 1);
        for (int start = 0; start < count; start++)
        {
            var shingle = MemoryMarshal.AsBytes(chars.Slice(start, Math.Min(ShingleLength, chars.Length - start)));
            ulong hash = XxHash3.HashToUInt64(shingle);
            uint h1 = (uint)hash, h2 = (uint)(hash >> 32) | 1;
            for (int i = 0; i < Permutations; i++)
                signature[i] = Math.Min(signature[i], h1 + (uint)i * h2);
        }
        return signature;
    }

    static double Similarity(uint[] a, uint[] b)
    {
        int equal = 0;
        for (int i = 0; i < Permutations; i++) if (a[i] == b[i]) equal++;
        return equal / (double)Permutations;
    }
}
