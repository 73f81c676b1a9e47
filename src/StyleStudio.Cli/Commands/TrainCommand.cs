using System.CommandLine;
using StyleStudio.Application.Datasets;
using StyleStudio.Data.Import;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;
using StyleStudio.Application.Runs;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio train --config run.yaml [--model DIR] [--dataset FILE] [--output DIR] [--max-steps N] [--resume]</c>:
/// LoRA / rsLoRA / DoRA / QLoRA, freeze or full fine-tuning with a live progress line, metrics.jsonl, checkpoints and the final PEFT adapter in
/// the output folder. Ctrl+C (SIGINT) or SIGTERM stops after the current step and saves a checkpoint to resume from; the exit
/// code is then <see cref="StopSignals.InterruptedExitCode"/> or <see cref="StopSignals.TerminatedExitCode"/>.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var configFile = new Option<FileInfo>("--config") { Description = "run settings as YAML (LLaMA-Factory key names)", Required = true };
        var model = new Option<DirectoryInfo?>("--model") { Description = "overrides model_name_or_path" };
        var dataset = new Option<FileInfo?>("--dataset") { Description = "overrides dataset: JSON, JSONL, CSV, TSV, XLSX or Parquet (alpaca, sharegpt or OpenAI messages)" };
        var output = new Option<DirectoryInfo?>("--output") { Description = "overrides output_dir" };
        var maxSteps = new Option<int?>("--max-steps") { Description = "overrides max_steps" };
        var resume = new Option<bool>("--resume") { Description = "continue from the latest checkpoint in the output folder" };
        var overwrite = new Option<bool>("--overwrite") { Description = "delete the adapter, weights and checkpoints already in the output folder and start over" };
        var devices = new Option<string?>("--devices") { Description = "overrides devices: train on several GPUs at once, e.g. cuda:0,cuda:1 (a copy of the model on each; global batch = batch × accumulation × GPUs)" };
        var command = new Command("train", "Fine-tune a model: LoRA, rsLoRA, DoRA, QLoRA, freeze or full") { configFile, model, dataset, output, maxSteps, resume, overwrite, devices };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var config = LoadConfig(parse.GetValue(configFile)!.FullName);
            config.ModelNameOrPath = parse.GetValue(model)?.FullName ?? config.ModelNameOrPath;
            config.Dataset = parse.GetValue(dataset)?.FullName ?? config.Dataset;
            config.OutputDir = parse.GetValue(output)?.FullName ?? config.OutputDir;
            config.MaxSteps = parse.GetValue(maxSteps) ?? config.MaxSteps;
            config.Devices = parse.GetValue(devices) ?? config.Devices;
            return Train(config, parse.GetValue(resume), parse.GetValue(overwrite));
        }));
        return command;
    }

    static int Train(TrainConfig settings, bool resume, bool overwrite)
    {
        string datasetPath = settings.Dataset ?? throw new ArgumentException("set dataset (or --dataset)");
        if (settings.OutputDir is null) throw new ArgumentException("set output_dir (or --output)");
        if (settings.ModelNameOrPath is null) throw new ArgumentException("set model_name_or_path (the model folder)");
        var config = settings.ToRequest();   // every setting checked, by its key, before anything is loaded
        PrepareOutput(config.OutputDir!, resume, overwrite);
        var (rows, report) = DatasetImporter.ReadAll(datasetPath);
        foreach (var error in report.Errors.Take(20)) Console.Error.WriteLine($"skipped {datasetPath} {error}");
        if (report.Rejected > 20) Console.Error.WriteLine($"… and {report.Rejected - 20} more rejected rows");
        if (rows.Count == 0) throw new ArgumentException($"{datasetPath}: no usable rows");

        var conversations = rows.Select(r => r.ToConversation()).ToList();
        var estimate = EstimateMemory(config, conversations);
        using var run = FineTuneRun.Prepare(config, conversations);
        string? resumeFrom = resume ? run.LatestCheckpoint : null;
        if (resume && resumeFrom is null)
        {
            // A run killed before its first checkpoint left at most a metrics file: continuing it is starting it over.
            if (TrainingOutput.Results(config.OutputDir!).Count > 0) throw new ArgumentException($"--resume: no checkpoint in {config.OutputDir}");
            Console.WriteLine($"--resume: no checkpoint in {config.OutputDir} yet; training from step 1");
        }
        Console.WriteLine(run.Summary + (resumeFrom is null ? "" : $" · resuming {Path.GetFileName(resumeFrom)}"));
        Console.WriteLine(run.PaddingSummary);
        if (estimate is not null) Console.WriteLine($"estimated peak memory {Memory(estimate.TotalBytes)}: {Parts(estimate)}");
        using var stop = new StopSignals();
        var metrics = resumeFrom is null
            ? MetricsLog.StartNew(config.OutputDir!)
            : MetricsLog.ContinueAfter(config.OutputDir!, TrainingCheckpoint.StepOf(resumeFrom));
        var progress = new ConsoleProgress(config.LoggingSteps, metrics);
        var result = run.Run(progress, stop.Token, resume: resumeFrom is not null);

        if (result.Cancelled)
        {
            Console.WriteLine(result.Checkpoint is { } checkpoint
                ? $"stopped after step {TrainingCheckpoint.StepOf(checkpoint)}; saved {checkpoint}; continue with --resume"
                : "stopped before the first step; nothing to resume");
            return stop.ExitCode;
        }
        if (result.StoppedEarly) Console.WriteLine($"stopped early: validation loss last improved at step {result.BestStep}");
        if (result.BestEvalLoss is { } best)
            Console.WriteLine($"best validation loss {best:F4} at step {result.BestStep}; its adapter is in {Path.Combine(config.OutputDir!, TrainingCheckpoint.BestFolder)}");
        Console.WriteLine(run.ResultDescription);
        if (result.Graphs?.Describe() is { } graphs) Console.WriteLine(graphs);
        if (result.Reduction is { } reduction) Console.WriteLine(reduction);
        if (PeakMemory(estimate, progress.PeakMemoryBytes) is { } peak)
            Console.WriteLine($"peak memory {Memory(peak)}" + (estimate is null ? "" : $" (estimated {Memory(estimate.TotalBytes)})"));
        return 0;
    }

    /// <summary>
    /// The estimate the studio's form shows, for this process; null when the model or data cannot be read for it, as
    /// <see cref="FineTuneRun.Prepare"/> then reports the cause in its own words.
    /// </summary>
    static MemoryEstimate? EstimateMemory(RunRequest config, IReadOnlyList<Conversation> conversations)
    {
        try
        {
            bool gpu = ComputeDevice.Select(config.Device).IsCuda;
            return RunMemory.Estimate(config, conversations, gpu);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or ModelLoadException)
        {
            return null;
        }
    }

    /// <summary>The run's peak: on CPU the process's high-water mark (it holds peaks inside a step), on GPU the largest step figure.</summary>
    static long? PeakMemory(MemoryEstimate? estimate, long? stepPeak) =>
        estimate?.Measure == MemoryMeasure.GpuMemory ? stepPeak : RunMemory.PeakResidentBytes() ?? stepPeak;

    static string Parts(MemoryEstimate e) =>
        $"weights {Memory(e.WeightBytes)}, trainable + optimizer {Memory(e.TrainableBytes)}, activations {Memory(e.ActivationBytes)}, " +
        $"logits {Memory(e.LogitBytes)}, {(e.Measure == MemoryMeasure.GpuMemory ? "CUDA context" : "this process before loading")} {Memory(e.OverheadBytes)}";

    static string Memory(long bytes) => $"{bytes / (1024.0 * 1024):F0} MiB";

    /// <summary>
    /// A folder holding an earlier result is refused unless the user says what to do with it: --resume continues from
    /// its latest checkpoint, --overwrite deletes the result first. Nothing is overwritten silently.
    /// </summary>
    static void PrepareOutput(string folder, bool resume, bool overwrite)
    {
        if (resume && overwrite) throw new ArgumentException("--resume and --overwrite exclude each other: continue the run in the output folder, or delete it and start over");
        var results = TrainingOutput.Results(folder);
        if (results.Count == 0 || resume) return;
        if (overwrite)
        {
            TrainingOutput.Clear(folder);
            Console.WriteLine($"--overwrite: deleted {string.Join(", ", results)} in {folder}");
            return;
        }
        bool checkpoints = results.Any(r => r.StartsWith("checkpoint-", StringComparison.Ordinal));
        throw new ArgumentException($"the output folder {folder} already holds {string.Join(", ", results)}; " +
            (checkpoints ? "pass --resume to continue from its latest checkpoint, or " : "pass ") +
            "--overwrite to delete them and train from the start (or choose another --output)");
    }

    /// <summary>A YAML run file; keys StyleStudio lacks are ignored, as LLaMA-Factory files carry many.</summary>
    public static TrainConfig LoadConfig(string path) => RunSettingsYaml.Read(File.ReadAllText(path));

    /// <summary>One line per logging interval on stdout; every step to metrics.jsonl.</summary>
    sealed class ConsoleProgress(int every, IProgress<TrainingEvent> metrics) : IProgress<TrainingEvent>
    {
        /// <summary>The largest memory figure a step reported.</summary>
        public long? PeakMemoryBytes { get; private set; }

        public void Report(TrainingEvent e)
        {
            metrics.Report(e);
            if (e.MemoryBytes is { } memory) PeakMemoryBytes = Math.Max(PeakMemoryBytes ?? 0, memory);
            if (e.Step % Math.Max(1, every) != 0 && e.Step != e.TotalSteps && e.EvalLoss is null && !e.Skipped) return;
            Console.WriteLine($"step {e.Step}/{e.TotalSteps} · epoch {e.Epoch:F2} · loss {e.Loss:F4}" +
                              (e.EvalLoss is { } eval ? $" · eval {eval:F4}" : "") + $" · lr {e.LearningRate:E2} · " +
                              $"grad {e.GradNorm?.ToString("F3") ?? "overflow"} · {e.TokensPerSecond:N0} tok/s" +
                              (e.MemoryBytes is { } bytes ? $" · {bytes / (1024.0 * 1024 * 1024):F2} GiB" : "") +
                              (e.Skipped ? $" · fp16 overflow: step skipped, loss scale now {e.LossScale:G4}" : "") +
                              $" · {TimeSpan.FromSeconds(e.ElapsedSeconds):hh\\:mm\\:ss} elapsed, {TimeSpan.FromSeconds(e.RemainingSeconds):hh\\:mm\\:ss} left");
        }
    }
}
