using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// One fine-tuning run as the CLI and the studio both carry it out: load the base (NF4 for QLoRA), attach adapters or
/// choose the trainable tensors, encode the conversations through the template, hold out validation examples, train,
/// and write the result — a PEFT adapter, or for full/freeze tuning a Hugging Face checkpoint — to the output folder.
/// </summary>
public sealed class FineTuneRun : IDisposable
{
    readonly RunRequest config;
    readonly PretrainedModel loaded;
    /// <summary>Copies of the model on the other GPUs of a data-parallel run (<see cref="RunRequest.Devices"/>); empty otherwise.</summary>
    readonly IReadOnlyList<PretrainedModel> copies;
    readonly LoraConfig lora;
    readonly IReadOnlyList<EncodedExample> examples, validation;
    readonly TrainingOptions options;

    bool Adapters => config.TrainsAdapters;

    /// <summary>One line for logs and the studio: architecture, device, examples, method, dtype, checkpointing.</summary>
    public string Summary { get; }

    /// <summary>How much of each batch is padding, and with packing how much would remain.</summary>
    public string PaddingSummary { get; }

    FineTuneRun(RunRequest config, PretrainedModel loaded, IReadOnlyList<PretrainedModel> copies, IReadOnlyList<Conversation> conversations)
    {
        this.config = config;
        this.loaded = loaded;
        this.copies = copies;
        foreach (var network in Networks)
        {
            network.GradientCheckpointing = config.GradientCheckpointing;
            network.OffloadCheckpoints = config.GradientCheckpointing && config.OffloadCheckpoints;
            network.MlpChunkTokens = network.OffloadCheckpoints ? LongContext.MlpSliceTokens : null;
        }
        lora = config.Lora();
        string method = config.FineTuning switch
        {
            FineTuningType.Full => $"full fine-tuning of {TrainableSelection.All(loaded.Network)} tensors",
            FineTuningType.Freeze => $"freeze tuning: last {config.FreezeTrainableLayers} layers ({TrainableSelection.LastLayers(loaded.Network, config.FreezeTrainableLayers)} tensors)",
            _ => $"{(config.QuantizationBit == 4 ? "QLoRA (NF4 base)" : "LoRA")} r{lora.Rank} α{lora.Alpha}{(lora.UseDora ? " DoRA" : "")}" +
                 $"{(lora.UseRsLora ? " rsLoRA" : "")} on {string.Join(",", LoraTargets.Of(loaded.Config).Select(t => t.Name).Where(lora.ResolvedTargets.Contains))}",
        } + $" · {loaded.Network.DType}" + (loaded.Network.GradientCheckpointing ? " · gradient checkpointing" : "")
          + (loaded.Network.OffloadCheckpoints ? $" in host memory, MLP in {LongContext.MlpSliceTokens:N0}-token slices" : "");
        if (Adapters)
            foreach (var network in Networks) LoraInjector.Apply(network, lora, config.Seed);
        else
            foreach (var copy in copies) ChooseTrainable(copy.Network);

        var encoder = new ExampleEncoder(PromptTemplates.Get(config.Template), loaded.RequireTokenizer(), config.CutoffLen, config.TrainOnPrompt);
        (examples, validation) = DatasetSplit.Split(conversations.Select(encoder.Encode).ToList(), config.ValSize, config.Seed);
        options = Options(config, examples.Count);
        string where = copies.Count == 0 ? loaded.Device.ToString()
            : $"{copies.Count + 1} GPUs ({string.Join(", ", Networks.Select(n => n.Device.ToString()))}, {loaded.Device.Name})";
        Summary = $"training {loaded.Config.Architecture} on {where} · {examples.Count} examples" +
                  (validation.Count > 0 ? $" (+{validation.Count} for validation)" : "") + " · " + method;
        var lengths = examples.Select(e => e.Length).ToList();
        PaddingSummary = $"padding {Packer.PaddingShare(lengths, config.PerDeviceTrainBatchSize):P0} of batch tokens" + (config.Packing
            ? $", {Packer.PaddingShare(Packer.Pack(examples, config.CutoffLen).Select(r => r.Length), config.PerDeviceTrainBatchSize):P0} packed"
            : "");
    }

    /// <summary>Checks the request (its paths included), loads the model from <see cref="RunRequest.ModelPath"/> and encodes the data.</summary>
    public static FineTuneRun Prepare(RunRequest config, IReadOnlyList<Conversation> conversations)
    {
        config.Validate();
        string modelPath = config.ModelPath ?? throw new RunSettingException("model_name_or_path", "set model_name_or_path (the model folder)");
        if (config.OutputDir is null) throw new RunSettingException("output_dir", "set output_dir (where the result goes)");
        if (conversations.Count == 0) throw new ArgumentException("the dataset has no usable rows");

        // Trained base weights stay fp32: AdamW steps on bf16 weights would mostly round away.
        var load = ModelLoadOptions.Named(config.Device, config.TrainsAdapters ? config.DtypeName : "float32", config.QuantizationBit == 4);
        // A data-parallel run loads a copy per GPU (each quantized on its own GPU for QLoRA).
        var models = new List<PretrainedModel>();
        try
        {
            if (config.Devices.Count == 0) models.Add(PretrainedModel.Load(modelPath, load));
            foreach (int gpu in config.Devices) models.Add(PretrainedModel.Load(modelPath, load with { GpuIndex = gpu }));
            return new FineTuneRun(config, models[0], models.Skip(1).ToList(), conversations);
        }
        catch
        {
            models.ForEach(m => m.Dispose());
            throw;
        }
    }

    /// <summary>The first model and the copies, in device order.</summary>
    IEnumerable<Models.CausalLM> Networks => copies.Prepend(loaded).Select(m => m.Network);

    /// <summary>A copy's trainable tensors for full or freeze tuning, as the first model's were chosen.</summary>
    void ChooseTrainable(Models.CausalLM network) =>
        _ = config.FineTuning == FineTuningType.Full ? TrainableSelection.All(network) : TrainableSelection.LastLayers(network, config.FreezeTrainableLayers);

    /// <summary>
    /// Trains, saving checkpoints as configured, then (unless cancelled) writes the adapter or the checkpoint to the output
    /// folder. <paramref name="resume"/> continues from the latest checkpoint there.
    /// </summary>
    public TrainingResult Run(IProgress<TrainingEvent>? progress, CancellationToken cancellation, bool resume = false)
    {
        string outputDir = config.OutputDir!;
        string? resumeFrom = resume ? LatestCheckpoint ?? throw new ArgumentException($"no checkpoint to resume from in {outputDir}") : null;
        var result = new SftTrainer(Networks.ToList(), options).Run(examples, progress, cancellation,
            new CheckpointOptions(outputDir, config.SaveSteps, config.SaveTotalLimit, Adapters ? WriteAdapter : null), resumeFrom, validation);
        if (result.Cancelled) return result;
        if (Adapters) WriteAdapter(outputDir);
        else HuggingFaceCheckpointWriter.Save(config.ModelPath!, outputDir,
            loaded.Network.named_parameters().Select(p => (p.name, (TorchSharp.torch.Tensor)p.parameter)).ToList(), loaded.Config.SavedScalarType);
        return result;
    }

    /// <summary>The checkpoint a resumed run continues from: the latest in the output folder, if any.</summary>
    public string? LatestCheckpoint => TrainingCheckpoint.List(config.OutputDir!).LastOrDefault();

    /// <summary>What <see cref="Run"/> leaves in the output folder, in words.</summary>
    public string ResultDescription => Adapters
        ? $"adapter saved to {config.OutputDir} ({PeftAdapter.ConfigFile}, {PeftAdapter.WeightsFile})"
        : $"model saved to {config.OutputDir} (Hugging Face checkpoint)";

    void WriteAdapter(string folder) => PeftAdapter.Save(loaded.Network, lora, folder, config.ModelPath!);

    static TrainingOptions Options(RunRequest config, int exampleCount)
    {
        // LLaMA-Factory takes fractional epochs (e.g. 1.5): run whole epochs, stopped after that share of steps.
        int epochs = (int)Math.Ceiling(config.NumTrainEpochs);
        int microBatchesPerStep = config.GradientAccumulationSteps * Math.Max(1, config.Devices.Count);
        int stepsPerEpoch = (int)Math.Ceiling(Math.Ceiling(exampleCount / (double)config.PerDeviceTrainBatchSize) / microBatchesPerStep);
        int? fractionalLimit = epochs != config.NumTrainEpochs ? (int)Math.Round(stepsPerEpoch * config.NumTrainEpochs) : null;
        return new TrainingOptions
        {
            LearningRate = config.LearningRate,
            Epochs = epochs,
            BatchSize = config.PerDeviceTrainBatchSize,
            GradientAccumulation = config.GradientAccumulationSteps,
            Schedule = config.LrScheduler,
            WarmupRatio = config.WarmupRatio,
            WarmupSteps = config.WarmupSteps,
            MaxGradNorm = config.MaxGradNorm,
            WeightDecay = config.WeightDecay,
            Seed = config.Seed,
            MaxSteps = config.MaxSteps ?? fractionalLimit,
            EvalEverySteps = config.EvalSteps,
            PackLength = config.Packing ? config.CutoffLen : null,
            EarlyStoppingPatience = config.EarlyStoppingPatience,
        };
    }

    public void Dispose()
    {
        foreach (var copy in copies) copy.Dispose();
        loaded.Dispose();
    }
}
