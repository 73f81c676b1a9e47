using System.Text.Json;
using StyleStudio.Training.Checkpoints;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Support;

/// <summary>What transformers recorded for one tiny fixture model (see tools/reference/make_reference.py).</summary>
sealed class Reference
{
    public required int[][] Prompts { get; init; }
    public required int[][] Greedy { get; init; }
    public required int[][] GreedyBatch { get; init; }
    public required double[] Nll { get; init; }
    public required int[][] BatchInputIds { get; init; }
    public required int[][] BatchAttentionMask { get; init; }
    public required string TensorsPath { get; init; }

    public static Reference For(string model)
    {
        string folder = Fixtures.Model(model);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json")));
        var root = json.RootElement;
        int[][] Ints(string name) => root.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        return new Reference
        {
            Prompts = Ints("prompts"),
            Greedy = Ints("greedy"),
            GreedyBatch = Ints("greedy_batch"),
            Nll = root.GetProperty("nll").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
            BatchInputIds = Ints("batch_input_ids"),
            BatchAttentionMask = Ints("batch_attention_mask"),
            TensorsPath = Path.Combine(folder, "reference.safetensors"),
        };
    }

    /// <summary>A recorded fp32 tensor (single_0, single_1, batch).</summary>
    public Tensor Logits(string name)
    {
        using var file = new SafetensorsFile(TensorsPath);
        var result = empty(file.Entries[name].Shape, ScalarType.Float32);
        file.ReadInto(name, result);
        return result;
    }

    public static Tensor Ids(int[][] rows) =>
        tensor(rows.SelectMany(r => r.Select(v => (long)v)).ToArray(), [rows.Length, rows[0].Length]);
}
