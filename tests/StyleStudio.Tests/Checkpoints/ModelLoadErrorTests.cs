using System.Text;
using System.Text.Json.Nodes;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Tokenization;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Checkpoints;

/// <summary>Each kind of broken model folder fails with an exception naming the file and the tensor or field.</summary>
public sealed class ModelLoadErrorTests : IDisposable
{
    readonly string folder = Path.Combine(Path.GetTempPath(), "stylestudio-broken-" + Guid.NewGuid().ToString("N"));
    string Weights => Path.Combine(folder, "model.safetensors");
    string Config => Path.Combine(folder, "config.json");

    public ModelLoadErrorTests()
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Fixtures.Model("qwen2")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    ModelLoadException LoadFails() =>
        Assert.Throws<ModelLoadException>(() => PretrainedModel.Load(folder, new ModelLoadOptions(DevicePreference.Cpu)));

    Dictionary<string, Tensor> FixtureTensors()
    {
        using var file = new SafetensorsFile(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors"));
        return file.Entries.Values.ToDictionary(e => e.Name, e =>
        {
            var t = empty(e.Shape, e.DType);
            file.ReadInto(e.Name, t);
            return t;
        });
    }

    void EditConfig(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Config))!.AsObject();
        edit(json);
        File.WriteAllText(Config, json.ToJsonString());
    }

    static void WriteRaw(string path, string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[dataBytes]]);
    }

    [Fact]
    public void Truncated_weights_file()
    {
        var bytes = File.ReadAllBytes(Weights);
        File.WriteAllBytes(Weights, bytes[..(bytes.Length / 2)]);
        var error = LoadFails();
        Assert.Equal(Weights, error.File);
        Assert.Contains("overrun", error.Message);
        Assert.NotNull(error.Item); // the first tensor whose data is cut off
    }

    [Fact]
    public void File_too_short_or_with_a_nonsense_header_length()
    {
        File.WriteAllBytes(Weights, [1, 2, 3]);
        Assert.Contains("too short", LoadFails().Message);
        File.WriteAllBytes(Weights, [.. BitConverter.GetBytes(long.MaxValue), .. new byte[64]]);
        Assert.Contains("header length", LoadFails().Message);
    }

    [Fact]
    public void Header_that_is_not_json()
    {
        WriteRaw(Weights, "{\"model.norm.weight\": {\"dtype\": ", 16);
        Assert.Contains("not valid JSON", LoadFails().Message);
    }

    [Fact]
    public void Offsets_that_overrun_the_data()
    {
        WriteRaw(Weights, "{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,256]}}", 100);
        var error = LoadFails();
        Assert.Equal("model.norm.weight", error.Item);
        Assert.Contains("overrun the 100-byte data section", error.Message);
    }

    [Fact]
    public void Offsets_that_disagree_with_the_shape()
    {
        WriteRaw(Weights, "{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,200]}}", 256);
        var error = LoadFails();
        Assert.Equal("model.norm.weight", error.Item);
        Assert.Contains("needs 256 bytes but data_offsets span 200", error.Message);
    }

    [Fact]
    public void Tensor_shape_that_disagrees_with_config()
    {
        EditConfig(c => c["intermediate_size"] = 100);
        var error = LoadFails();
        Assert.Equal(Config, error.File);
        Assert.Equal("intermediate_size", error.Item);
        Assert.Contains("gives 100, but the checkpoint's model.layers.0.mlp.gate_proj.weight has shape [112, 64]", error.Message);
    }

    /// <summary>Sizes no real checkpoint backs would allocate terabytes; they are refused from the headers, before any tensor exists.</summary>
    [Theory]
    [InlineData("num_hidden_layers", 1_000_000, "is 1000000, but the checkpoint holds 2 decoder layer(s)")]
    [InlineData("hidden_size", 1_000_000_000, "gives 1000000000, but the checkpoint's model.embed_tokens.weight has shape [512, 64]")]
    [InlineData("vocab_size", 2_000_000_000, "gives 2000000000, but the checkpoint's model.embed_tokens.weight has shape [512, 64]")]
    [InlineData("intermediate_size", 1_000_000_000, "gives 1000000000, but the checkpoint's model.layers.0.mlp.gate_proj.weight has shape [112, 64]")]
    public void Config_sizes_the_checkpoint_does_not_back_are_refused_before_allocating(string field, int value, string reason)
    {
        EditConfig(c => c[field] = value);
        long before = GC.GetTotalMemory(forceFullCollection: false);
        // The growth across the refusal, not the process's total: tests running beside this one (a model loaded, the
        // sentence encoder) hold their own memory. An allocation of the claimed size would be gigabytes at least.
        long workingSetBefore = Environment.WorkingSet;
        var error = LoadFails();
        Assert.Equal(Config, error.File);
        Assert.Contains(reason, error.Message);
        long grown = Environment.WorkingSet - workingSetBefore;
        Assert.True(grown < 512L << 20, $"working set grew {grown >> 20} MB during the refusal");
        Assert.True(GC.GetTotalMemory(false) - before < 64 << 20, "the refusal allocated managed memory for the claimed size");
    }

    [Fact]
    public void Missing_tensor()
    {
        var tensors = FixtureTensors();
        tensors.Remove("model.layers.1.self_attn.k_proj.bias");
        SafetensorsWriter.Write(Weights, tensors);
        var error = LoadFails();
        Assert.Equal("model.layers.1.self_attn.k_proj.bias", error.Item);
        Assert.Contains("missing from the checkpoint", error.Message);
    }

    [Fact]
    public void Unexpected_tensor()
    {
        var tensors = FixtureTensors();
        tensors["model.layers.9.mlp.up_proj.weight"] = zeros(4, 4);
        SafetensorsWriter.Write(Weights, tensors);
        var error = LoadFails();
        Assert.Equal("model.layers.9.mlp.up_proj.weight", error.Item);
        Assert.Contains("no place in the model", error.Message);
    }

    [Fact]
    public void Rewritten_checkpoint_loads_like_the_original()
    {
        SafetensorsWriter.Write(Weights, FixtureTensors());
        using var model = PretrainedModel.Load(folder, new ModelLoadOptions(DevicePreference.Cpu));
        Assert.Equal(26, model.Report.Tensors);
    }

    [Fact]
    public void Shard_index_naming_a_missing_shard()
    {
        File.Delete(Weights);
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
            "{\"weight_map\": {\"model.norm.weight\": \"model-00001-of-00002.safetensors\"}}");
        var error = LoadFails();
        Assert.Equal("model-00001-of-00002.safetensors", error.Item);
        Assert.Contains("not in the folder", error.Message);
    }

    [Fact]
    public void No_weights_at_all()
    {
        File.Delete(Weights);
        Assert.Contains("no weights found", LoadFails().Message);
    }

    [Fact]
    public void Config_that_is_not_json_or_misses_fields()
    {
        File.WriteAllText(Config, "{ \"hidden_size\": 64, ");
        Assert.Contains("config.json: not valid JSON", LoadFails().Message);

        File.Copy(Path.Combine(Fixtures.Model("qwen2"), "config.json"), Config, overwrite: true);
        EditConfig(c => c.Remove("hidden_size"));
        Assert.Equal("hidden_size", LoadFails().Item);

        File.Copy(Path.Combine(Fixtures.Model("qwen2"), "config.json"), Config, overwrite: true);
        EditConfig(c => c["num_key_value_heads"] = 3);
        Assert.Contains("does not divide num_attention_heads 4", LoadFails().Message);

        File.Copy(Path.Combine(Fixtures.Model("qwen2"), "config.json"), Config, overwrite: true);
        EditConfig(c => c["num_hidden_layers"] = "two");
        Assert.Contains("must be a positive integer, got \"two\"", LoadFails().Message);
    }

    [Fact]
    public void Unsupported_architecture_lists_the_supported_ones()
    {
        EditConfig(c => c["architectures"] = new JsonArray("GPT2LMHeadModel"));
        var error = LoadFails();
        Assert.Equal("architectures", error.Item);
        Assert.Contains("Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM, MistralForCausalLM", error.Message);
    }

    [Fact]
    public void Unsupported_rope_scaling()
    {
        EditConfig(c => c["rope_parameters"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0, ["rope_theta"] = 1e6 });
        Assert.Contains("rope type 'yarn' is not supported", LoadFails().Message);
    }

    [Fact]
    public void Malformed_tokenizer_files()
    {
        string tokenizer = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(tokenizer, "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<TokenizerLoadException>(() => TextTokenizer.Load(folder)).Message);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Model("qwen2"), "tokenizer.json")))!.AsObject();
        json["model"]!["type"] = "WordPiece";
        File.WriteAllText(tokenizer, json.ToJsonString());
        var error = Assert.Throws<TokenizerLoadException>(() => TextTokenizer.Load(folder));
        Assert.Equal("model.type", error.Field);

        json["model"]!["type"] = "BPE";
        json["model"]!.AsObject().Remove("merges");
        File.WriteAllText(tokenizer, json.ToJsonString());
        Assert.Equal("model.merges", Assert.Throws<TokenizerLoadException>(() => TextTokenizer.Load(folder)).Field);

        File.WriteAllText(tokenizer, File.ReadAllText(Path.Combine(Fixtures.Model("qwen2"), "tokenizer.json")));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{\"eos_token\": \"<|no_such_token|>\"}");
        Assert.Equal("eos_token", Assert.Throws<TokenizerLoadException>(() => TextTokenizer.Load(folder)).Field);
    }
}
