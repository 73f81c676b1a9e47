using System.Text.Json;
using static TorchSharp.torch;

namespace StyleStudio.Training.Checkpoints;

/// <summary>
/// Writes tensors as a safetensors file that Python's safetensors reads: header padded to 8 bytes, <c>__metadata__</c>
/// with format "pt", tensors in name order. Written to a temporary file and renamed, so readers never see half a file.
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object> { ["__metadata__"] = metadata ?? new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var name in names)
        {
            var t = tensors[name];
            long bytes = t.numel() * SafetensorsHeader.ElementSize(t.dtype);
            header[name] = new { dtype = SafetensorsHeader.DTypeName(t.dtype), shape = t.shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padding = (8 - json.Length % 8) % 8;

        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            file.Write(BitConverter.GetBytes((long)(json.Length + padding)));
            file.Write(json);
            file.Write(Enumerable.Repeat((byte)' ', padding).ToArray());
            foreach (var name in names)
            {
                using var scope = NewDisposeScope();
                var flat = tensors[name].detach().cpu().contiguous().view(-1);
                long chunk = (1L << 30) / SafetensorsHeader.ElementSize(flat.dtype);
                for (long first = 0; first < flat.numel(); first += chunk)
                    file.Write(flat.narrow(0, first, Math.Min(chunk, flat.numel() - first)).bytes);
            }
        }
        File.Move(temp, path, overwrite: true);
    }
}
