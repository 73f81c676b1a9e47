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
