using System.Text.Json.Nodes;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Checkpoints;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Export;

/// <summary>
/// Variants of the tiny fixtures that compute exactly the same function but suit a llama.cpp feature the originals miss.
/// </summary>
static class DerivedFixtures
{
    /// <summary>
    /// The fixture with its MLP widened from 112 to <paramref name="intermediate"/> units by zero rows in gate/up and zero
    /// columns in down: an added unit computes silu(0)·0 = 0 and adds nothing, so logits are unchanged. llama.cpp's q8_0 and
    /// q4_0 store rows in blocks of 32 values, which the 112-wide down projection does not fill.
    /// </summary>
    public static string WiderMlp(string name, int intermediate, string into)
    {
        string folder = AdapterModelsFolder.CopyFiles(Fixtures.Model(name), Path.Combine(into, $"{name}-mlp{intermediate}"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        int original = config["intermediate_size"]!.GetValue<int>();
        config["intermediate_size"] = intermediate;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());

        using var scope = NewDisposeScope();
        string weights = Path.Combine(folder, SafetensorsCheckpoint.SingleFile);
        var tensors = new Dictionary<string, Tensor>();
        using (var file = new SafetensorsFile(weights))
            foreach (var (tensorName, entry) in file.Entries)
            {
                var value = empty(entry.Shape, entry.DType);
                file.ReadInto(tensorName, value);
                tensors[tensorName] = tensorName.EndsWith("mlp.down_proj.weight", StringComparison.Ordinal)
                    ? nn.functional.pad(value, [0, intermediate - original])           // [hidden, intermediate]
                    : tensorName.EndsWith("mlp.gate_proj.weight", StringComparison.Ordinal) || tensorName.EndsWith("mlp.up_proj.weight", StringComparison.Ordinal)
                        ? nn.functional.pad(value, [0, 0, 0, intermediate - original])  // [intermediate, hidden]
                        : value;
            }
        SafetensorsWriter.Write(weights, tensors);
        return folder;
    }

    /// <summary>
    /// The fixture with every 2-D weight rounded to bfloat16 and back (1-D norms and biases kept, as the GGUF keeps them
    /// F32): in fp32 it computes with exactly the weights a bf16 GGUF holds, so the comparison isolates the export.
    /// </summary>
    public static string RoundedToBFloat16(string model, string into)
    {
        string folder = AdapterModelsFolder.CopyFiles(model, Path.Combine(into, $"{Path.GetFileName(model)}-bf16-rounded"));
        using var scope = NewDisposeScope();
        string weights = Path.Combine(folder, SafetensorsCheckpoint.SingleFile);
        var tensors = new Dictionary<string, Tensor>();
        using (var file = new SafetensorsFile(weights))
            foreach (var (tensorName, entry) in file.Entries)
            {
                var value = empty(entry.Shape, ScalarType.Float32);
                file.ReadInto(tensorName, value);
                tensors[tensorName] = entry.Shape.Length >= 2 ? value.to(ScalarType.BFloat16).to(ScalarType.Float32) : value;
            }
        SafetensorsWriter.Write(weights, tensors);
        return folder;
    }

    /// <summary>
    /// The fixture with each attention head cut to its first <paramref name="headDim"/> channels (q/k/v rows and biases, o
    /// columns). Not the same function, but a valid model of its own that our engine runs as the reference: llama.cpp's
    /// chatglm graph (where GlmForCausalLM goes) needs heads × head_dim = hidden_size, which the 24-wide GLM fixture is not.
    /// </summary>
    public static string NarrowerHeads(string name, int headDim, string into)
    {
        string folder = AdapterModelsFolder.CopyFiles(Fixtures.Model(name), Path.Combine(into, $"{name}-head{headDim}"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        int original = config["head_dim"]!.GetValue<int>();
        config["head_dim"] = headDim;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());

        using var scope = NewDisposeScope();
        string weights = Path.Combine(folder, SafetensorsCheckpoint.SingleFile);
        var tensors = new Dictionary<string, Tensor>();
        using (var file = new SafetensorsFile(weights))
            foreach (var (tensorName, entry) in file.Entries)
            {
                var value = empty(entry.Shape, entry.DType);
                file.ReadInto(tensorName, value);
                bool projection = tensorName.Contains(".self_attn.q_proj.") || tensorName.Contains(".self_attn.k_proj.") || tensorName.Contains(".self_attn.v_proj.");
                long heads = projection ? entry.Shape[0] / original : 0;
                tensors[tensorName] = projection
                    ? value.reshape([heads, original, .. entry.Shape[1..]])[.., ..headDim].reshape([heads * headDim, .. entry.Shape[1..]])
                    : tensorName.EndsWith(".self_attn.o_proj.weight", StringComparison.Ordinal)
                        ? value.reshape(entry.Shape[0], entry.Shape[1] / original, original)[.., .., ..headDim].reshape(entry.Shape[0], -1)
                        : value;
            }
        SafetensorsWriter.Write(weights, tensors.ToDictionary(t => t.Key, t => t.Value.contiguous()));
        return folder;
    }

    /// <summary>
    /// The fixture embedded in a model 4× as wide that computes exactly the same function, so every weight row fills
    /// q4_k's 256-value super-blocks and llama.cpp's q4_k_m recipe runs as on real models (no per-tensor fallbacks):
    /// hidden 64 → 256 and MLP 112 → 256 with zero rows/columns, 4 → 16 query heads and 2 → 8 key/value heads (16 wide) that
    /// are all zero (a zero value head adds nothing; query head h still reads key/value head h / 2). The residual stream
    /// stays zero beyond its first 64 channels, so RMSNorm's mean of squares shrinks 4×: norm weights halve and
    /// rms_norm_eps quarters (both exact in binary) to give the same normalized values.
    /// </summary>
    public static string FourTimesWider(string name, string into)
    {
        const int Width = 4, HeadDim = 16;
        string folder = AdapterModelsFolder.CopyFiles(Fixtures.Model(name), Path.Combine(into, $"{name}-wide"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        int hidden = config["hidden_size"]!.GetValue<int>(), heads = config["num_attention_heads"]!.GetValue<int>();
        int intermediate = config["intermediate_size"]!.GetValue<int>();
        if (hidden / heads != HeadDim || (config["head_dim"]?.GetValue<int>() ?? HeadDim) != HeadDim)
            throw new ArgumentException($"{name}: this widening keeps 16-wide heads");
        config["hidden_size"] = hidden * Width;
        config["intermediate_size"] = hidden * Width;
        config["num_attention_heads"] = heads * Width;
        config["num_key_value_heads"] = config["num_key_value_heads"]!.GetValue<int>() * Width;
        config["head_dim"] = HeadDim;
        config["rms_norm_eps"] = config["rms_norm_eps"]!.GetValue<double>() / Width;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());

        using var scope = NewDisposeScope();
        string weights = Path.Combine(folder, SafetensorsCheckpoint.SingleFile);
        var tensors = new Dictionary<string, Tensor>();
        long wide = hidden * Width;
        using (var file = new SafetensorsFile(weights))
            foreach (var (tensorName, entry) in file.Entries)
            {
                var value = empty(entry.Shape, entry.DType);
                file.ReadInto(tensorName, value);
                // hidden and head dimensions grow 4× (keys/values: 32 → 128), the MLP to 256, the vocabulary not; the
                // original sits in the corner.
                long Grow(long size) => size == intermediate ? wide : size * Width;
                long[] shape = tensorName.Contains("embed_tokens") || tensorName == "lm_head.weight"
                    ? [entry.Shape[0], wide]
                    : entry.Shape.Select(Grow).ToArray();
                bool norm = entry.Shape.Length == 1 && tensorName.EndsWith("norm.weight", StringComparison.Ordinal);
                var widened = zeros(shape, entry.DType);
                var corner = entry.Shape.Length == 1 ? widened[..(int)entry.Shape[0]] : widened[..(int)entry.Shape[0], ..(int)entry.Shape[1]];
                corner.copy_(norm ? value / 2 : value);   // halved: RMS over 4× the channels, of which 3/4 are zero
                tensors[tensorName] = widened;
            }
        SafetensorsWriter.Write(weights, tensors);
        return folder;
    }

    /// <summary>The fixture with config.json's sliding window removed (full attention, as llama.cpp's llama graph runs).</summary>
    public static string WithoutSlidingWindow(string name, string into)
    {
        string folder = AdapterModelsFolder.CopyFiles(Fixtures.Model(name), Path.Combine(into, $"{name}-full-attention"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["sliding_window"] = null;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        return folder;
    }
}
