using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Web.Api.Studio;

/// <summary>A run to start: what it is called, what it trains on, and how.</summary>
/// <param name="Name">Shown in the studio's run list.</param>
/// <param name="Dataset">A dataset's name (<c>GET /api/v1/datasets</c>); the run trains on its current version.</param>
/// <param name="Model">A model folder's name in the studio's models folder, e.g. <c>qwen2</c>.</param>
/// <param name="Style">Train on the rows of this style label only (one adapter per style); leave out to train on every row.</param>
/// <param name="Settings">The training settings under LLaMA-Factory's YAML keys (finetuning_type, lora_rank, learning_rate,
/// num_train_epochs, max_steps, per_device_train_batch_size, cutoff_len, template, device, …); every key left out keeps
/// the training form's default. model_name_or_path, dataset and output_dir are the studio's to set.</param>
public sealed record StartRunRequest(string Name, string Dataset, string Model, string? Style = null, TrainConfig? Settings = null);

/// <summary>Where a run stands in its steps.</summary>
/// <param name="Step">The last optimizer step recorded; 0 before the first.</param>
/// <param name="TotalSteps">The steps the run will take; 0 until its first step is recorded.</param>
/// <param name="Epoch">The (fractional) epoch of the last recorded step.</param>
public sealed record RunProgress(int Step, int TotalSteps, double Epoch);

/// <summary>A training run as the API reports it.</summary>
/// <param name="Status">queued, running, completed, failed or cancelled.</param>
/// <param name="Message">The run's latest word: what it is doing, what it saved, or why it stopped.</param>
/// <param name="Error">Why the run failed; present only when its status is failed.</param>
/// <param name="LatestLoss">The training loss of the last recorded step; absent before the first.</param>
/// <param name="Worker">The job server training the run (a cluster worker's name and id), or the last one that did;
/// absent before its first attempt.</param>
/// <param name="Attempts">Attempts that started and did not end in a clean stop (a failure, or a worker that died).</param>
public sealed record RunView(int Id, string Name, string Dataset, int DatasetVersion, string Model, string? Style, RunStatus Status,
    string? Message, string? Error, RunProgress Progress, double? LatestLoss, bool CancelRequested, DateTime CreatedUtc,
    DateTime? StartedUtc, DateTime? FinishedUtc, TrainConfig Settings, string? Worker = null, int Attempts = 0)
{
    public static RunView Of(RunRecord run, StepMetric? last) => new(run.Id, run.Name, run.DatasetName, run.DatasetVersion, run.Model,
        run.Style, run.Status, run.Message, run.Status == RunStatus.Failed ? run.Message : null,
        new RunProgress(last?.Step ?? 0, last?.TotalSteps ?? 0, last?.Epoch ?? 0), last?.Loss, run.CancelRequested, run.CreatedUtc,
        run.StartedUtc, run.FinishedUtc, TrainConfig.From(run.Settings), run.Worker, run.Attempts);
}

/// <summary>One optimizer step as the run recorded it. A figure that was not a finite number (a diverged loss) is absent.</summary>
public sealed record StepMetric(int Step, int TotalSteps, double Epoch, double? Loss, double? LearningRate, double? GradNorm,
    double? EvalLoss, double? TokensPerSecond, double ElapsedSeconds, double RemainingSeconds, long? MemoryBytes)
{
    public static StepMetric Of(TrainingEvent m) => new(m.Step, m.TotalSteps, m.Epoch, Finite(m.Loss), Finite(m.LearningRate),
        m.GradNorm is { } g ? Finite(g) : null, m.EvalLoss is { } e ? Finite(e) : null, Finite(m.TokensPerSecond), m.ElapsedSeconds,
        m.RemainingSeconds, m.MemoryBytes);

    static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

/// <summary>The steps a run recorded after a given one, in strictly increasing order.</summary>
/// <param name="Finished">True once the run has ended (completed, failed or cancelled): no more steps will come.</param>
/// <param name="Steps">Every stored step after <c>after</c>, each once.</param>
public sealed record RunMetricsPage(int RunId, RunStatus Status, bool Finished, IReadOnlyList<StepMetric> Steps);
