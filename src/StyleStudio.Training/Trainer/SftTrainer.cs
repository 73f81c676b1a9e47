using System.Diagnostics;
using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>What a finished, cancelled or early-stopped run did.</summary>
/// <param name="Checkpoint">On cancellation, the checkpoint of the last completed step, to resume from (saved on the way
/// out unless the schedule had just saved it); null without checkpoint options or when no checkpoint exists yet.</param>
/// <param name="BestEvalLoss">Lowest validation loss seen, at <paramref name="BestStep"/>; null without validation data.</param>
public sealed record TrainingResult(IReadOnlyList<TrainingEvent> Steps, bool Cancelled, bool StoppedEarly = false,
    double? BestEvalLoss = null, int? BestStep = null, string? Checkpoint = null)
{
    /// <summary>Whether the forward and backward passes ran from CUDA graphs, or why not.</summary>
    public GraphUse? Graphs { get; init; }

    /// <summary>How a data-parallel run summed its copies' gradients; null on one device.</summary>
    public string? Reduction { get; init; }
}

/// <summary>
/// Supervised fine-tuning of whatever parameters require gradients (adapters, or the whole model). One loop, read top to
/// bottom: shuffle → per optimizer step: set lr → micro-batches (forward, token-weighted loss, backward) → clip → step →
/// report. Knows nothing of storage or UI: progress goes to an <see cref="IProgress{T}"/>.
/// </summary>
public sealed class SftTrainer
{
    readonly IReadOnlyList<CausalLM> models;
    readonly TrainingOptions options;
    CausalLM model => models[0];

    public SftTrainer(CausalLM model, TrainingOptions options) : this([model], options) { }

    /// <summary>
    /// Data-parallel training: one copy of the model per device, each with the same trainable tensors (the first copy's
    /// values are copied to the others). An optimizer step takes <see cref="TrainingOptions.GradientAccumulation"/>
    /// micro-batches per copy, so the global batch is batch size × accumulation × copies, and the run follows the loss
    /// curve of one device with that global batch (see <see cref="Replicas"/>). The first copy is saved and evaluated.
    /// </summary>
    public SftTrainer(IReadOnlyList<CausalLM> models, TrainingOptions options)
    {
        if (models.Count == 0) throw new ArgumentException("no model to train", nameof(models));
        (this.models, this.options) = (models, options);
    }

    /// <param name="checkpoints">Where to save resumable checkpoints (and, with validation data, <c>best/</c>); null saves none.</param>
    /// <param name="resumeFrom">A checkpoint folder of an earlier run with the same options and data, to continue it.</param>
    /// <param name="validation">Held-out examples for eval loss and early stopping; null or empty evaluates nothing.</param>
    public TrainingResult Run(IReadOnlyList<EncodedExample> examples, IProgress<TrainingEvent>? progress = null,
        CancellationToken cancellation = default, CheckpointOptions? checkpoints = null, string? resumeFrom = null,
        IReadOnlyList<EncodedExample>? validation = null)
    {
        options.Validate();
        if (examples.Count == 0) throw new ArgumentException("no training examples", nameof(examples));
        if (examples.All(e => e.TrainedTokens == 0))
            throw new ArgumentException("no example has a token to learn (are all answers empty or cut off?)", nameof(examples));
        var rows = options.PackLength is { } packLength
            ? Packer.Pack(examples, packLength)
            : examples.Select(e => PackedRow.Of([e])).ToList();
        manual_seed(options.Seed);
        using var replicas = new Replicas(models, options);
        int microBatchesPerStep = options.GradientAccumulation * replicas.Count;
        int microBatchesPerEpoch = (rows.Count + options.BatchSize - 1) / options.BatchSize;
        int stepsPerEpoch = (microBatchesPerEpoch + microBatchesPerStep - 1) / microBatchesPerStep;
        int totalSteps = Math.Min(stepsPerEpoch * options.Epochs, options.MaxSteps ?? int.MaxValue);
        int warmupSteps = options.WarmupSteps ?? (int)Math.Ceiling(totalSteps * options.WarmupRatio);
        long pad = model.Config.PadTokenId ?? model.Config.EosTokenIds.FirstOrDefault();

        var start = resumeFrom is null ? new TrainerPosition(0, 0, 0) : replicas.Load(resumeFrom);
        var optimizer = replicas.Optimizer;
        var scaler = model.DType == ScalarType.Float16 ? new LossScaler(start.LossScaler, options.InitialLossScale) : null;
        var events = new List<TrainingEvent>();
        var tracker = new EvalTracker(options.EarlyStoppingPatience);
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        TrainerPosition lastSaved = start, position = start;
        foreach (var copy in models) copy.train();
        try
        {
            for (int epoch = start.Epoch, step = start.Step; epoch < options.Epochs && step < totalSteps; epoch++)
            {
                var batches = Shuffle(rows.Count, options.Seed + epoch).Chunk(options.BatchSize).ToList();
                var groups = batches.Chunk(microBatchesPerStep).ToList();
                for (int groupIndex = epoch == start.Epoch ? start.GroupsDoneInEpoch : 0; groupIndex < groups.Count; groupIndex++)
                {
                    var group = groups[groupIndex];
                    if (step == totalSteps) break;
                    if (cancellation.IsCancellationRequested)
                    {
                        // Stopping (Ctrl+C, SIGTERM, cancel) keeps the work done: resume continues from this step.
                        string? saved = checkpoints is null ? null
                            : position.Step > lastSaved.Step ? TrainingCheckpoint.Save(checkpoints, model, optimizer, position)
                            : TrainingCheckpoint.List(checkpoints.Directory).LastOrDefault();
                        return tracker.Result(events, cancelled: true) with { Checkpoint = saved, Graphs = replicas.Use, Reduction = replicas.Reduction };
                    }
                    double lr = LearningRateSchedule.At(step, totalSteps, warmupSteps, options.LearningRate, options.Schedule);
                    replicas.LearningRate = lr;
                    replicas.ZeroGrad();
                    var micro = group.Select(indices => indices.Select(i => rows[i]).ToList()).ToList();
                    double loss = replicas.Run(micro, pad, scaler?.Scale ?? 1);
                    if (!double.IsFinite(loss)) throw new TrainingDivergedException(step + 1, "the loss");
                    if (scaler is not null) replicas.Unscale(scaler.Scale);
                    double norm = replicas.ClipGradNorm(options.MaxGradNorm > 0 ? options.MaxGradNorm : double.MaxValue);
                    bool skipped = scaler is not null && !scaler.Update(double.IsFinite(norm));
                    if (scaler?.Scale < LossScaler.MinimumScale || (scaler is null && !double.IsFinite(norm)))
                        throw new TrainingDivergedException(step + 1, "the gradient norm");
                    if (!skipped) replicas.Step();

                    step++;
                    tokens += micro.Sum(b => b.Sum(e => (long)e.Length));
                    // Time per step from this process's own steps: a resumed run's earlier steps took no time here.
                    double perStep = clock.Elapsed.TotalSeconds / (step - start.Step);
                    bool evaluate = validation is { Count: > 0 }
                        && (step == totalSteps || (options.EvalEverySteps > 0 && step % options.EvalEverySteps == 0));
                    double? evalLoss = evaluate ? Evaluate(validation!, pad) : null;
                    var report = new TrainingEvent(step, totalSteps, epoch + (double)(groupIndex + 1) / groups.Count,
                        loss, lr, double.IsFinite(norm) ? norm : null, tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
                        clock.Elapsed.TotalSeconds, perStep * (totalSteps - step), evalLoss is { } e && double.IsFinite(e) ? e : null,
                        replicas.MemoryInUse(),
                        scaler?.Scale, skipped);
                    events.Add(report);
                    progress?.Report(report);

                    position = groupIndex + 1 == groups.Count
                        ? new TrainerPosition(step, epoch + 1, 0, scaler?.State)
                        : new TrainerPosition(step, epoch, groupIndex + 1, scaler?.State);
                    if (checkpoints is not null && (step % checkpoints.EverySteps == 0 || step == totalSteps))
                    {
                        TrainingCheckpoint.Save(checkpoints, model, optimizer, position);
                        lastSaved = position;
                    }
                    if (evalLoss is { } value && tracker.Record(step, value) && checkpoints is not null)
                        TrainingCheckpoint.SaveBest(checkpoints, model, optimizer, position);
                    if (tracker.ShouldStop)
                        return tracker.Result(events, cancelled: false) with { Graphs = replicas.Use, Reduction = replicas.Reduction };
                }
            }
        }
        finally
        {
            foreach (var copy in models) copy.eval();
        }
        return tracker.Result(events, cancelled: false) with { Graphs = replicas.Use, Reduction = replicas.Reduction };
    }

    /// <summary>Token-weighted mean loss over the validation set, without gradients or dropout.</summary>
    double Evaluate(IReadOnlyList<EncodedExample> validation, long pad)
    {
        model.eval();
        try
        {
            using var noGrad = no_grad();
            double sum = 0;
            long count = 0;
            foreach (var chunk in validation.Chunk(options.BatchSize))
            {
                using var scope = NewDisposeScope();
                using var batch = Batch.Collate(chunk.Select(e => PackedRow.Of([e])).ToList(), pad, model.Device);
                sum += HiddenStateLoss.Sum(model.ForwardHidden(batch.ToForwardInput()), model.OutputWeight, batch.Labels).item<float>();
                count += batch.TrainedTokens;
            }
            return sum / Math.Max(1, count);
        }
        finally
        {
            model.train();
        }
    }

    /// <summary>Best validation loss so far and how many evaluations have passed without beating it.</summary>
    sealed class EvalTracker(int? patience)
    {
        double? best;
        int? bestStep;
        int sinceBest;
        bool stoppedEarly;

        public bool ShouldStop => stoppedEarly;

        /// <summary>Returns true when <paramref name="loss"/> is a new best.</summary>
        public bool Record(int step, double loss)
        {
            if (best is null || loss < best)
            {
                (best, bestStep, sinceBest) = (loss, step, 0);
                return true;
            }
            stoppedEarly = ++sinceBest >= patience;
            return false;
        }

        public TrainingResult Result(List<TrainingEvent> events, bool cancelled) =>
            new(events, cancelled, stoppedEarly, best, bestStep);
    }

    /// <summary>A seeded permutation of example indices (System.Random with a seed is stable across runs and machines).</summary>
    static int[] Shuffle(int count, long seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random((int)(seed % int.MaxValue)).Shuffle(order);
        return order;
    }
}
