using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace StyleStudio.Training.Checkpoints;

/// <summary>
/// Saves a model as a Hugging Face folder that transformers loads: safetensors shards of at most a given size with
/// <c>model.safetensors.index.json</c> (a single <c>model.safetensors</c> when it fits), tensors in the checkpoint's own
/// dtype, and config, generation config and tokenizer files copied from the source folder.
/// </summary>
public static class HuggingFaceCheckpointWriter
{
    static readonly string[] CopiedFiles = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    /// <param name="tensors">Name → tensor in Hugging Face naming; written in <paramref name="dtype"/>.</param>
    public static void Save(string sourceFolder, string outputFolder, IReadOnlyList<(string Name, Tensor Tensor)> tensors,
        ScalarType dtype, long maxShardBytes = 2L << 30)
    {
        Directory.CreateDirectory(outputFolder);
        var shards = new List<List<(string Name, Tensor Tensor)>> { new() };
        long shardBytes = 0;
        foreach (var item in tensors)
        {
            long bytes = item.Tensor.numel() * SafetensorsHeader.ElementSize(dtype);
            if (shardBytes > 0 && shardBytes + bytes > maxShardBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1].Add(item);
            shardBytes += bytes;
        }

        var weightMap = new JsonObject();
        for (int i = 0; i < shards.Count; i++)
        {
            string file = shards.Count == 1 ? SafetensorsCheckpoint.SingleFile : $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            using var scope = NewDisposeScope();
            SafetensorsWriter.Write(Path.Combine(outputFolder, file), shards[i].ToDictionary(t => t.Name, t => t.Tensor.to(dtype)));
            foreach (var (name, _) in shards[i]) weightMap[name] = file;
        }
        if (shards.Count > 1)
        {
            long total = tensors.Sum(t => t.Tensor.numel() * SafetensorsHeader.ElementSize(dtype));
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
            File.WriteAllText(Path.Combine(outputFolder, SafetensorsCheckpoint.IndexFile), index.ToJsonString());
        }
        foreach (var file in CopiedFiles.Where(f => File.Exists(Path.Combine(sourceFolder, f))))
            File.Copy(Path.Combine(sourceFolder, file), Path.Combine(outputFolder, file), overwrite: true);
    }
}
