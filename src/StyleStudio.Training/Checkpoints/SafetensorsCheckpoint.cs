using System.Text.Json;
using static TorchSharp.torch;

namespace StyleStudio.Training.Checkpoints;

/// <summary>
/// The weights of a Hugging Face model folder: <c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c>. Maps every tensor name to the file that holds it.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    readonly Dictionary<string, SafetensorsFile> fileOf;
    readonly List<SafetensorsFile> files;

    SafetensorsCheckpoint(List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileOf)
    {
        this.files = files;
        this.fileOf = fileOf;
    }

    public IEnumerable<string> TensorNames => fileOf.Keys;

    public long TotalBytes => files.Sum(f => f.Entries.Values.Sum(e => e.ByteLength));

    public SafetensorsEntry Entry(string name) => fileOf[name].Entries[name];

    public string FileOf(string name) => fileOf[name].Path;

    public bool Contains(string name) => fileOf.ContainsKey(name);

    public void ReadInto(string name, Tensor destination) => fileOf[name].ReadInto(name, destination);

    public static SafetensorsCheckpoint Open(string folder)
    {
        string index = System.IO.Path.Combine(folder, IndexFile);
        string single = System.IO.Path.Combine(folder, SingleFile);
        if (File.Exists(index)) return OpenSharded(folder, index);
        if (File.Exists(single))
        {
            var file = new SafetensorsFile(single);
            return new SafetensorsCheckpoint([file], file.Entries.Keys.ToDictionary(k => k, _ => file));
        }
        throw new ModelLoadException(folder, null,
            $"no weights found: expected {SingleFile} or {IndexFile} (only safetensors checkpoints are supported; convert .bin/.pth first)");
    }

    static SafetensorsCheckpoint OpenSharded(string folder, string index)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new ModelLoadException(index, "weight_map", "missing or not an object");
            weightMap = map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()
                ?? throw new ModelLoadException(index, p.Name, "shard file name is not a string"));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(index, null, $"not valid JSON ({e.Message})");
        }

        var files = new List<SafetensorsFile>();
        try
        {
            var shards = new Dictionary<string, SafetensorsFile>();
            foreach (var shardName in weightMap.Values.Distinct())
            {
                string path = System.IO.Path.Combine(folder, shardName);
                if (!File.Exists(path))
                    throw new ModelLoadException(index, shardName, "names a shard that is not in the folder (incomplete download?)");
                var shard = new SafetensorsFile(path);
                files.Add(shard);
                shards[shardName] = shard;
            }
            var fileOf = new Dictionary<string, SafetensorsFile>();
            foreach (var (tensor, shardName) in weightMap)
            {
                var shard = shards[shardName];
                if (!shard.Entries.ContainsKey(tensor))
                    throw new ModelLoadException(shard.Path, tensor, $"listed in {IndexFile} but missing from this shard");
                fileOf[tensor] = shard;
            }
            return new SafetensorsCheckpoint(files, fileOf);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    public void Dispose() => files.ForEach(f => f.Dispose());
}
