using LiteDB;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Application.Runs;

/// <summary>
/// A run's request as stored with it: LLaMA-Factory's key names and words (the YAML a user would write: finetuning_type
/// lora, lr_scheduler_type cosine) and a schema version, mapped field by field through <see cref="TrainConfig"/>
/// (request ⇄ LLaMA-Factory settings ⇄ document). Renaming a property is then a change here, not a silent loss of every
/// stored run's setting, which the reflection mapping of the first runs (schema 0, C# property names) was.
/// </summary>
public static class RunSettingsDocument
{
    public const int Schema = 1;
    const string SchemaKey = "schema";

    /// <summary>One setting: its stored key and how to read it from, and write it to, the settings.</summary>
    sealed record Field(string Key, Func<TrainConfig, BsonValue> Get, Action<TrainConfig, BsonValue> Set);

    static Field Text(string key, Func<TrainConfig, string?> get, Action<TrainConfig, string> set) =>
        new(key, c => get(c) is { } v ? new BsonValue(v) : BsonValue.Null, (c, v) => { if (v.IsString) set(c, v.AsString); });

    static Field OptionalText(string key, Func<TrainConfig, string?> get, Action<TrainConfig, string?> set) =>
        new(key, c => get(c) is { } v ? new BsonValue(v) : BsonValue.Null, (c, v) => set(c, v.IsString ? v.AsString : null));

    static Field Whole(string key, Func<TrainConfig, int> get, Action<TrainConfig, int> set) =>
        new(key, c => get(c), (c, v) => { if (v.IsNumber) set(c, v.AsInt32); });

    static Field OptionalWhole(string key, Func<TrainConfig, int?> get, Action<TrainConfig, int?> set) =>
        new(key, c => get(c) is { } v ? new BsonValue(v) : BsonValue.Null, (c, v) => set(c, v.IsNumber ? v.AsInt32 : null));

    static Field Number(string key, Func<TrainConfig, double> get, Action<TrainConfig, double> set) =>
        new(key, c => get(c), (c, v) => { if (v.IsNumber) set(c, v.AsDouble); });

    static Field OptionalNumber(string key, Func<TrainConfig, double?> get, Action<TrainConfig, double?> set) =>
        new(key, c => get(c) is { } v ? new BsonValue(v) : BsonValue.Null, (c, v) => set(c, v.IsNumber ? v.AsDouble : null));

    static Field Flag(string key, Func<TrainConfig, bool> get, Action<TrainConfig, bool> set) =>
        new(key, c => get(c), (c, v) => { if (v.IsBoolean) set(c, v.AsBoolean); });

    static readonly Field[] Fields =
    [
        OptionalText("model_name_or_path", c => c.ModelNameOrPath, (c, v) => c.ModelNameOrPath = v),
        OptionalText("dataset", c => c.Dataset, (c, v) => c.Dataset = v),
        Text("template", c => c.Template, (c, v) => c.Template = v),
        OptionalText("output_dir", c => c.OutputDir, (c, v) => c.OutputDir = v),
        Text("finetuning_type", c => c.FinetuningType, (c, v) => c.FinetuningType = v),
        Whole("freeze_trainable_layers", c => c.FreezeTrainableLayers, (c, v) => c.FreezeTrainableLayers = v),
        Whole("lora_rank", c => c.LoraRank, (c, v) => c.LoraRank = v),
        OptionalNumber("lora_alpha", c => c.LoraAlpha, (c, v) => c.LoraAlpha = v),
        Number("lora_dropout", c => c.LoraDropout, (c, v) => c.LoraDropout = v),
        Text("lora_target", c => c.LoraTarget, (c, v) => c.LoraTarget = v),
        Flag("use_dora", c => c.UseDora, (c, v) => c.UseDora = v),
        Flag("use_rslora", c => c.UseRslora, (c, v) => c.UseRslora = v),
        Number("learning_rate", c => c.LearningRate, (c, v) => c.LearningRate = v),
        Number("num_train_epochs", c => c.NumTrainEpochs, (c, v) => c.NumTrainEpochs = v),
        Whole("per_device_train_batch_size", c => c.PerDeviceTrainBatchSize, (c, v) => c.PerDeviceTrainBatchSize = v),
        Whole("gradient_accumulation_steps", c => c.GradientAccumulationSteps, (c, v) => c.GradientAccumulationSteps = v),
        Text("lr_scheduler_type", c => c.LrSchedulerType, (c, v) => c.LrSchedulerType = v),
        Number("warmup_ratio", c => c.WarmupRatio, (c, v) => c.WarmupRatio = v),
        OptionalWhole("warmup_steps", c => c.WarmupSteps, (c, v) => c.WarmupSteps = v),
        Number("max_grad_norm", c => c.MaxGradNorm, (c, v) => c.MaxGradNorm = v),
        Number("weight_decay", c => c.WeightDecay, (c, v) => c.WeightDecay = v),
        Whole("cutoff_len", c => c.CutoffLen, (c, v) => c.CutoffLen = v),
        Flag("train_on_prompt", c => c.TrainOnPrompt, (c, v) => c.TrainOnPrompt = v),
        Flag("packing", c => c.Packing, (c, v) => c.Packing = v),
        Whole("seed", c => c.Seed, (c, v) => c.Seed = v),
        OptionalWhole("max_steps", c => c.MaxSteps, (c, v) => c.MaxSteps = v),
        Whole("save_steps", c => c.SaveSteps, (c, v) => c.SaveSteps = v),
        Whole("save_total_limit", c => c.SaveTotalLimit, (c, v) => c.SaveTotalLimit = v),
        Whole("logging_steps", c => c.LoggingSteps, (c, v) => c.LoggingSteps = v),
        Number("val_size", c => c.ValSize, (c, v) => c.ValSize = v),
        Whole("eval_steps", c => c.EvalSteps, (c, v) => c.EvalSteps = v),
        OptionalWhole("early_stopping_patience", c => c.EarlyStoppingPatience, (c, v) => c.EarlyStoppingPatience = v),
        Text("device", c => c.Device, (c, v) => c.Device = v),
        OptionalText("devices", c => c.Devices, (c, v) => c.Devices = v),
        Text("dtype", c => c.Dtype, (c, v) => c.Dtype = v),
        Flag("bf16", c => c.Bf16, (c, v) => c.Bf16 = v),
        Flag("fp16", c => c.Fp16, (c, v) => c.Fp16 = v),
        OptionalWhole("quantization_bit", c => c.QuantizationBit, (c, v) => c.QuantizationBit = v),
        Flag("disable_gradient_checkpointing", c => c.DisableGradientCheckpointing, (c, v) => c.DisableGradientCheckpointing = v),
        Flag("offload_checkpoints", c => c.OffloadCheckpoints, (c, v) => c.OffloadCheckpoints = v),
    ];

    /// <summary>The stored keys, in order (LLaMA-Factory's names).</summary>
    public static IReadOnlyList<string> Keys { get; } = Fields.Select(f => f.Key).ToList();

    public static BsonDocument Write(RunRequest request)
    {
        var settings = TrainConfig.From(request);
        var document = new BsonDocument { [SchemaKey] = Schema };
        foreach (var field in Fields) document[field.Key] = field.Get(settings);
        return document;
    }

    /// <summary>
    /// The settings of a stored document by key: a key it lacks keeps the default, one it does not know (from a newer
    /// version) is left alone. Schema 0 (no schema key) named each setting by the C# property it had then, the key in
    /// Pascal case (lora_rank was LoraRank); those names are read as such, whatever the properties are called now.
    /// </summary>
    public static RunRequest Read(BsonDocument document)
    {
        bool schema0 = !document.ContainsKey(SchemaKey);
        var settings = new TrainConfig();
        foreach (var field in Fields)
            if (document.TryGetValue(schema0 ? PascalCase(field.Key) : field.Key, out var value)) field.Set(settings, value);
        return settings.ToStoredRequest();
    }

    /// <summary>lora_rank → LoraRank, bf16 → Bf16.</summary>
    static string PascalCase(string key) => string.Concat(key.Split('_').Select(word => char.ToUpperInvariant(word[0]) + word[1..]));
}
