using System.Text.Json;
using System.Text.Json.Nodes;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Training.Adapters;

/// <summary>
/// Adapters in Hugging Face PEFT's format — <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> with keys such as
/// <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c> — so adapters move freely between StyleStudio,
/// PEFT and LLaMA-Factory.
/// </summary>
public static class PeftAdapter
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    /// <summary>What PEFT puts before a model parameter's name in adapter_model.safetensors.</summary>
    internal const string KeyPrefix = "base_model.model.";

    /// <summary>Reads adapter_config.json, rejecting PEFT features StyleStudio does not implement (with the field named).</summary>
    public static LoraConfig ReadConfig(string folder)
    {
        var (path, root) = ParseConfig(folder);
        // A field of the wrong JSON type is named like a missing one, not left as a bare InvalidOperationException.
        T Read<T>(string field, Func<JsonNode?, T> read)
        {
            try
            {
                return read(root[field]);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new ModelLoadException(path, field, $"unexpected value {root[field]?.ToJsonString() ?? "null"} ({e.Message})");
            }
        }
        void Require(string field, Func<JsonNode?, bool> ok, string what)
        {
            if (!Read(field, ok)) throw new ModelLoadException(path, field, what);
        }
        Require("peft_type", n => n?.GetValue<string>() == "LORA", "only LORA adapters are supported");
        Require("bias", n => n is null || n.GetValue<string>() == "none", "only bias \"none\" is supported");
        Require("fan_in_fan_out", n => n is null || !n.GetValue<bool>(), "fan_in_fan_out (Conv1D models) is not supported");
        Require("modules_to_save", n => n is null || n.AsArray().Count == 0, "modules_to_save is not supported");
        Require("layers_to_transform", n => n is null, "layers_to_transform is not supported");
        Require("rank_pattern", n => n is null || n.AsObject().Count == 0, "per-module ranks (rank_pattern) are not supported");
        Require("alpha_pattern", n => n is null || n.AsObject().Count == 0, "per-module alphas (alpha_pattern) are not supported");
        Require("r", n => n is not null, "missing");
        var targets = Read("target_modules", n => n switch
        {
            JsonArray list => list.Select(t => t!.GetValue<string>()).ToArray(),
            JsonValue single => [single.GetValue<string>()],
            _ => throw new ModelLoadException(path, "target_modules", "missing"),
        });
        var config = new LoraConfig
        {
            Rank = Read("r", n => n!.GetValue<int>()),
            Alpha = Read("lora_alpha", n => n?.GetValue<double>() ?? 8),
            Dropout = Read("lora_dropout", n => n?.GetValue<double>() ?? 0),
            TargetModules = targets,
            UseRsLora = Read("use_rslora", n => n?.GetValue<bool>() ?? false),
            UseDora = Read("use_dora", n => n?.GetValue<bool>() ?? false),
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelLoadException(path, "target_modules", e.Message);
        }
        return config;
    }

    /// <summary>
    /// base_model_name_or_path from adapter_config.json — the hub id or path of the model the adapter was trained on — or
    /// null when the config leaves it out.
    /// </summary>
    public static string? ReadBaseModelNameOrPath(string folder)
    {
        var (path, root) = ParseConfig(folder);
        try
        {
            return root["base_model_name_or_path"]?.GetValue<string>() is { Length: > 0 } name ? name : null;
        }
        catch (InvalidOperationException)
        {
            throw new ModelLoadException(path, "base_model_name_or_path", $"expected a string, found {root["base_model_name_or_path"]!.ToJsonString()}");
        }
    }

    static (string Path, JsonObject Root) ParseConfig(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new ModelLoadException(path, null, "not found: a PEFT adapter folder needs adapter_config.json");
        try
        {
            return (path, JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ModelLoadException(path, null, "not a JSON object"));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, null, $"not valid JSON ({e.Message})");
        }
    }

    /// <summary>Loads an adapter and merges it into the base: inference then costs what the base costs, and decoding
    /// takes the compiled (on CUDA, graph-replayed) path.</summary>
    public static void LoadMerged(CausalLM model, string folder)
    {
        Load(model, folder);
        LoraInjector.MergeAll(model);
    }

    /// <summary>Attaches the adapter in <paramref name="folder"/> to <paramref name="model"/> (unmerged).</summary>
    public static IReadOnlyList<LoraLinear> Load(CausalLM model, string folder)
    {
        var config = ReadConfig(folder);
        var adapters = LoraInjector.Apply(model, config);
        string path = Path.Combine(folder, WeightsFile);
        if (!File.Exists(path)) throw new ModelLoadException(path, null, "not found: a PEFT adapter folder needs adapter_model.safetensors");
        using var file = new SafetensorsFile(path);
        var expected = AdapterParameters(model).ToList();
        var missing = expected.Where(p => !file.Entries.ContainsKey(KeyPrefix + p.Name)).Select(p => KeyPrefix + p.Name).ToList();
        if (missing.Count > 0)
            throw new ModelLoadException(path, missing[0], $"{missing.Count} adapter tensor(s) missing (was it trained on this architecture?)");
        var known = expected.Select(p => KeyPrefix + p.Name).ToHashSet();
        var unexpected = file.Entries.Keys.Where(k => !known.Contains(k)).Order().ToList();
        if (unexpected.Count > 0)
            throw new ModelLoadException(path, unexpected[0], $"{unexpected.Count} tensor(s) have no place in this model's adapters");
        using (no_grad())
            foreach (var (name, parameter) in expected)
                file.ReadInto(KeyPrefix + name, parameter);
        return adapters;
    }

    /// <summary>Writes the model's adapters in PEFT format (fp32), atomically per file.</summary>
    public static void Save(CausalLM model, LoraConfig config, string folder, string baseModelNameOrPath)
    {
        Directory.CreateDirectory(folder);
        var tensors = AdapterParameters(model).ToDictionary(p => KeyPrefix + p.Name, p => p.Tensor);
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFile), tensors);
        var json = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["r"] = config.Rank,
            ["lora_alpha"] = config.Alpha,
            ["lora_dropout"] = config.Dropout,
            ["target_modules"] = new JsonArray(WrappedProjections(model).Select(t => (JsonNode)t).ToArray()),
            ["use_rslora"] = config.UseRsLora,
            ["use_dora"] = config.UseDora,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
        };
        string configPath = Path.Combine(folder, ConfigFile);
        File.WriteAllText(configPath + ".tmp", json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(configPath + ".tmp", configPath, overwrite: true);
    }

    /// <summary>The projection names the model's adapters wrap, in <see cref="LoraConfig.AllLinear"/>'s order: what
    /// target_modules must list for PEFT to rebuild them (a config's "all" depends on the architecture).</summary>
    static IReadOnlyList<string> WrappedProjections(CausalLM model)
    {
        var wrapped = LoraInjector.Attachments(model).Select(a => a.Projection).ToHashSet();
        return LoraConfig.AllLinear.Where(wrapped.Contains).ToList();
    }

    /// <summary>The adapters' own tensors, by model parameter name (lora_A, lora_B, lora_magnitude_vector).</summary>
    static IEnumerable<(string Name, Tensor Tensor)> AdapterParameters(CausalLM model) =>
        model.named_parameters()
            .Where(p => p.name.Contains(".lora_A.") || p.name.Contains(".lora_B.") || p.name.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal))
            .Select(p => (p.name, (Tensor)p.parameter));
}
