using System.Text.Json;
using TorchSharp;

namespace StyleStudio.Training.Checkpoints;

/// <summary>One tensor's entry in a safetensors header. Offsets are absolute positions in the file.</summary>
public sealed record SafetensorsEntry(string Name, torch.ScalarType DType, long[] Shape, long Start, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => End - Start;
}

/// <summary>
/// Parses and validates a safetensors header (8-byte little-endian length, JSON, then raw data) before any tensor is
/// read, so a truncated or corrupt file fails with the file and tensor named instead of a native crash later.
/// </summary>
public static class SafetensorsHeader
{
    const long MaxHeaderBytes = 100L * 1024 * 1024;

    static readonly Dictionary<string, (torch.ScalarType Type, int Size)> DTypes = new()
    {
        ["F32"] = (torch.ScalarType.Float32, 4),
        ["F16"] = (torch.ScalarType.Float16, 2),
        ["BF16"] = (torch.ScalarType.BFloat16, 2),
        ["F64"] = (torch.ScalarType.Float64, 8),
        ["I64"] = (torch.ScalarType.Int64, 8),
        ["I32"] = (torch.ScalarType.Int32, 4),
        ["I16"] = (torch.ScalarType.Int16, 2),
        ["I8"] = (torch.ScalarType.Int8, 1),
        ["U8"] = (torch.ScalarType.Byte, 1),
        ["BOOL"] = (torch.ScalarType.Bool, 1),
    };

    public static string DTypeName(torch.ScalarType type) => DTypes.First(d => d.Value.Type == type).Key;

    public static int ElementSize(torch.ScalarType type) => DTypes.Values.First(d => d.Type == type).Size;

    /// <summary>Reads the header of <paramref name="path"/>; returns its entries and the <c>__metadata__</c> map.</summary>
    public static (IReadOnlyList<SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        using var file = File.OpenRead(path);
        long fileLength = file.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (file.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw new ModelLoadException(path, null, $"file is {fileLength} bytes, too short to be safetensors (truncated download?)");
        long headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > fileLength)
            throw new ModelLoadException(path, null,
                $"header length {headerLength} does not fit a {fileLength}-byte file: not safetensors, or truncated");

        var json = new byte[headerLength];
        file.ReadExactly(json);
        long dataStart = 8 + headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, null, $"header is not valid JSON ({e.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelLoadException(path, null, "header is not a JSON object");
            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in property.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ToString();
                    continue;
                }
                entries.Add(ParseEntry(path, property, dataStart, dataLength));
            }
            return (entries, metadata);
        }
    }

    static SafetensorsEntry ParseEntry(string path, JsonProperty property, long dataStart, long dataLength)
    {
        string name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeJson) || dtypeJson.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsJson) || offsetsJson.ValueKind != JsonValueKind.Array
            || offsetsJson.GetArrayLength() != 2)
            throw new ModelLoadException(path, name, "header entry needs dtype, shape and two data_offsets");

        string dtypeName = dtypeJson.GetString()!;
        if (!DTypes.TryGetValue(dtypeName, out var dtype))
            throw new ModelLoadException(path, name, $"unsupported dtype {dtypeName} (supported: {string.Join(", ", DTypes.Keys)})");

        long[] shape;
        long begin, end;
        try
        {
            shape = shapeJson.EnumerateArray().Select(d => d.GetInt64()).ToArray();
            begin = offsetsJson[0].GetInt64();
            end = offsetsJson[1].GetInt64();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new ModelLoadException(path, name, "shape and data_offsets must be integers");
        }
        if (shape.Any(d => d < 0))
            throw new ModelLoadException(path, name, $"negative dimension in shape [{string.Join(", ", shape)}]");
        if (begin < 0 || end < begin || end > dataLength)
            throw new ModelLoadException(path, name,
                $"data_offsets [{begin}, {end}] overrun the {dataLength}-byte data section (truncated or corrupt file)");

        var entry = new SafetensorsEntry(name, dtype.Type, shape, dataStart + begin, dataStart + end);
        if (entry.ElementCount * dtype.Size != entry.ByteLength)
            throw new ModelLoadException(path, name,
                $"shape [{string.Join(", ", shape)}] of {dtypeName} needs {entry.ElementCount * dtype.Size} bytes but data_offsets span {entry.ByteLength}");
        return entry;
    }
}
