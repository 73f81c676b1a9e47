using System.CommandLine;
using StyleStudio.Data.Import;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio train --config run.yaml [--model DIR] [--dataset FILE] [--output DIR] [--max-steps N] [--resume]</c>:
/// LoRA / rsLoRA / DoRA / QLoRA, freeze or full fine-tuning with a live progress line, metrics.jsonl, checkpoints and the final PEFT adapter in
/// the output folder. Ctrl+C stops after the current step and saves a checkpoint to resume from.
/// </summary>
static class TrainCommand
{
    public static Command Create()
    {
        var configFile = new Option<FileInfo>("--config") { Description = "run settings as YAML (LLaMA-Factory key names)", Required = true };
        var model = new Option<DirectoryInfo?>("--model") { Description = "overrides model_name_or_path" };
        var dataset = new Option<FileInfo?>("--dataset") { Description = "overrides dataset: JSON, JSONL, CSV, TSV, XLSX or Parquet (alpaca, sharegpt or OpenAI messages)" };
        var output = new Option<DirectoryInfo?>("--output") { Description = "overrides output_dir" };
        var maxSteps = new Option<int?>("--max-steps") { Description = "overrides max_steps" };
        var resume = new Option<bool>("--resume") { Description = "continue from the latest checkpoint in the output folder" };
        var command = new Command("train", "Fine-tune a model: LoRA, rsLoRA, DoRA, QLoRA, freeze or full") { configFile, model, dataset, output, maxSteps, resume };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var config = TrainConfig.Load(parse.GetValue(configFile)!.FullName);
            config.ModelNameOrPath = parse.GetValue(model)?.FullName ?? config.ModelNameOrPath;
            config.Dataset = parse.GetValue(dataset)?.FullName ?? config.Dataset;
            config.OutputDir = parse.GetValue(output)?.FullName ?? config.OutputDir;
            config.MaxSteps = parse.GetValue(maxSteps) ?? config.MaxSteps;
            return Train(config, parse.GetValue(resume));
        }));
        return command;
    }

    static int Train(TrainConfig config, bool resume)
    {
        string modelPath = config.ModelNameOrPath ?? throw new ArgumentException("set model_name_or_path (or --model)");
        string datasetPath = config.Dataset ?? throw new ArgumentException("set dataset (or --dataset)");
        string outputDir = config.OutputDir ?? throw new ArgumentException("set output_dir (or --output)");
        if (config.FinetuningType is not ("lora" or "full" or "freeze"))
            throw new ArgumentException($"finetuning_type '{config.FinetuningType}' is not available; use lora (with use_dora / use_rslora), full or freeze");
        bool adapters = config.FinetuningType == "lora";
        if (config.QuantizationBit is { } bits && (bits != 4 || !adapters))
            throw new ArgumentException(bits != 4
                ? $"quantization_bit {bits} is not available; 4 (NF4, QLoRA) is"
                : "quantization_bit needs finetuning_type lora: a 4-bit base cannot be trained directly");

        var (rows, report) = DatasetImporter.ReadAll(datasetPath);
        foreach (var error in report.Errors.Take(20)) Console.Error.WriteLine($"skipped {datasetPath} {error}");
        if (report.Rejected > 20) Console.Error.WriteLine($"… and {report.Rejected - 20} more rejected rows");
        if (rows.Count == 0) throw new ArgumentException($"{datasetPath}: no usable rows");

        var device = Enum.Parse<DevicePreference>(config.Device, ignoreCase: true);
        // Trained base weights stay fp32: AdamW steps on bf16 weights would mostly round away.
        using var loaded = PretrainedModel.Load(modelPath,
            CommonOptions.LoadOptions(device, adapters ? config.ResolvedDtype : "float32", config.QuantizationBit == 4));
        loaded.Network.GradientCheckpointing = !config.DisableGradientCheckpointing;
        var lora = new LoraConfig
        {
            Rank = config.LoraRank,
            Alpha = config.LoraAlpha ?? 2 * config.LoraRank,
            Dropout = config.LoraDropout,
            TargetModules = config.LoraTarget.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            UseDora = config.UseDora,
            UseRsLora = config.UseRslora,
        };
        string method = config.FinetuningType switch
        {
            "full" => $"full fine-tuning of {TrainableSelection.All(loaded.Network)} tensors",
            "freeze" => $"freeze tuning: last {config.FreezeTrainableLayers} layers ({TrainableSelection.LastLayers(loaded.Network, config.FreezeTrainableLayers)} tensors)",
            _ => $"{(config.QuantizationBit == 4 ? "QLoRA (NF4 base)" : "LoRA")} r{lora.Rank} α{lora.Alpha}{(lora.UseDora ? " DoRA" : "")}" +
                 $"{(lora.UseRsLora ? " rsLoRA" : "")} on {string.Join(",", lora.ResolvedTargets)}",
        } + $" · {loaded.Network.DType}" + (loaded.Network.GradientCheckpointing ? " · gradient checkpointing" : "");
        if (adapters) LoraInjector.Apply(loaded.Network, lora, config.Seed);

        var encoder = new ExampleEncoder(PromptTemplates.Get(config.Template), loaded.RequireTokenizer(), config.CutoffLen, config.TrainOnPrompt);
        var (examples, validation) = DatasetSplit.Split(rows.Select(r => encoder.Encode(r.ToConversation())).ToList(), config.ValSize, config.Seed);
        int epochs = (int)Math.Ceiling(config.NumTrainEpochs);
        int stepsPerEpoch = (int)Math.Ceiling(Math.Ceiling(examples.Count / (double)config.PerDeviceTrainBatchSize) / config.GradientAccumulationSteps);
        int? fractionalLimit = epochs != config.NumTrainEpochs ? (int)Math.Round(stepsPerEpoch * config.NumTrainEpochs) : null;
        var options = new TrainingOptions
        {
            LearningRate = config.LearningRate,
            Epochs = epochs,
            BatchSize = config.PerDeviceTrainBatchSize,
            GradientAccumulation = config.GradientAccumulationSteps,
            Schedule = Enum.Parse<ScheduleKind>(config.LrSchedulerType.Replace("_with_warmup", ""), ignoreCase: true),
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
        string? resumeFrom = resume ? TrainingCheckpoint.List(outputDir).LastOrDefault()
            ?? throw new ArgumentException($"--resume: no checkpoint in {outputDir}") : null;

        Console.WriteLine($"training {loaded.Config.Architecture} on {loaded.Device} · {examples.Count} examples" +
                          (validation.Count > 0 ? $" (+{validation.Count} for validation)" : "") + " · " + method +
                          (resumeFrom is null ? "" : $" · resuming {Path.GetFileName(resumeFrom)}"));
        var lengths = examples.Select(e => e.Length).ToList();
        string padding = $"padding {Packer.PaddingShare(lengths, config.PerDeviceTrainBatchSize):P0} of batch tokens";
        if (config.Packing)
            padding += $", {Packer.PaddingShare(Packer.Pack(examples, config.CutoffLen).Select(r => r.Length), config.PerDeviceTrainBatchSize):P0} packed";
        Console.WriteLine(padding);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var metrics = new MetricsLog(outputDir);
        var progress = new ConsoleProgress(config.LoggingSteps, metrics);
        void WriteAdapter(string folder) => PeftAdapter.Save(loaded.Network, lora, folder, modelPath);
        void WriteCheckpoint(string folder) => HuggingFaceCheckpointWriter.Save(modelPath, folder,
            loaded.Network.named_parameters().Select(p => (p.name, (TorchSharp.torch.Tensor)p.parameter)).ToList(), loaded.Config.SavedScalarType);
        var result = new SftTrainer(loaded.Network, options).Run(examples, progress, cancel.Token,
            new CheckpointOptions(outputDir, config.SaveSteps, config.SaveTotalLimit, adapters ? WriteAdapter : null), resumeFrom, validation);

        if (result.Cancelled)
        {
            Console.WriteLine($"stopped; resume with --resume (checkpoints in {outputDir})");
            return 130;
        }
        if (adapters) WriteAdapter(outputDir);
        else WriteCheckpoint(outputDir);
        if (result.StoppedEarly) Console.WriteLine($"stopped early: validation loss last improved at step {result.BestStep}");
        if (result.BestEvalLoss is { } best)
            Console.WriteLine($"best validation loss {best:F4} at step {result.BestStep}; its adapter is in {Path.Combine(outputDir, TrainingCheckpoint.BestFolder)}");
        Console.WriteLine(adapters ? $"adapter saved to {outputDir} ({PeftAdapter.ConfigFile}, {PeftAdapter.WeightsFile})"
                                   : $"model saved to {outputDir} (Hugging Face checkpoint)");
        return 0;
    }


    /// <summary>One line per logging interval on stdout; every step to metrics.jsonl.</summary>
    sealed class ConsoleProgress(int every, IProgress<TrainingEvent> metrics) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent e)
        {
            metrics.Report(e);
            if (e.Step % Math.Max(1, every) != 0 && e.Step != e.TotalSteps && e.EvalLoss is null && !e.Skipped) return;
            Console.WriteLine($"step {e.Step}/{e.TotalSteps} · epoch {e.Epoch:F2} · loss {e.Loss:F4}" +
                              (e.EvalLoss is { } eval ? $" · eval {eval:F4}" : "") + $" · lr {e.LearningRate:E2} · " +
                              $"grad {e.GradNorm:F3} · {e.TokensPerSecond:N0} tok/s" +
                              (e.MemoryBytes is { } bytes ? $" · {bytes / (1024.0 * 1024 * 1024):F2} GiB" : "") +
                              (e.Skipped ? $" · fp16 overflow: step skipped, loss scale now {e.LossScale:G4}" : "") +
                              $" · {e.Elapsed:hh\\:mm\\:ss} elapsed, {e.Remaining:hh\\:mm\\:ss} left");
        }
    }
}
