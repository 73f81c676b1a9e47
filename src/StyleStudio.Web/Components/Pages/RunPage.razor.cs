using StyleStudio.Training.Trainer;
using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using MudBlazor;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Components.Training;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// One run, live: status, progress and its charts, fed by the run's job through <see cref="RunEvents"/>; its settings,
/// a comparison of them with another run, what it cost (duration, throughput, peak memory), what went wrong if it failed,
/// and where its adapter goes next (playground, evaluation, download).
/// </summary>
public partial class RunPage
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] RunEvents Events { get; set; } = null!;
    [Inject] TrainingRuns Runs { get; set; } = null!;
    [Inject] IDialogService Dialogs { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] IStringLocalizer<RunPage> L { get; set; } = null!;
    [Inject] RunMerges Merges { get; set; } = null!;

    /// <summary>The run's id, from the route.</summary>
    [Parameter] public int Id { get; set; }

    RunRecord? run;
    string? message, deleteError;
    RunStatus status;
    IReadOnlyList<ChartRun> chartRuns = [];
    IReadOnlyList<RunRecord> others = [];
    TrainingEvent? last;
    long? peakMemory;
    double? meanTokensPerSecond;
    double tokensPerSecondSum;
    int stepCount;
    bool hasResult;
    int? other;
    RunChart? chart;
    IDisposable? subscription, mergeSubscription;
    MergeState? merge;
    string? mergeError;

    bool Active => status is RunStatus.Queued or RunStatus.Running;
    /// <summary>Completed LoRA-style runs are served as <c>run-N</c> (see StudioModelDirectory).</summary>
    bool Servable => hasResult && run!.Settings.TrainsAdapters;
    string ServedId => $"run-{Id}";

    /// <summary>How long it trained: start to finish once it ended, else the time its latest step reports.</summary>
    TimeSpan Duration => !Active && run!.StartedUtc is { } started && run.FinishedUtc is { } finished && finished > started
        ? finished - started
        : TimeSpan.FromSeconds(last?.ElapsedSeconds ?? 0);

    protected override void OnParametersSet()
    {
        subscription?.Dispose();
        // Subscribe before reading the stored steps, so no step falls between the two (the chart skips repeats).
        subscription = Events.Subscribe(Id, update => InvokeAsync(() => Apply(update)));
        mergeSubscription?.Dispose();
        mergeSubscription = Merges.Subscribe(Id, state => InvokeAsync(() => { merge = state; StateHasChanged(); }));
        (merge, mergeError) = (Merges.State(Id), null);
        try
        {
            run = Store.Runs.Get(Id);
        }
        catch (ArgumentException)
        {
            run = null;
            return;
        }
        (status, message) = (run.Status, run.Message);
        (last, peakMemory, meanTokensPerSecond, tokensPerSecondSum, stepCount, other) = (null, null, null, 0, 0, null);
        var metrics = Store.Runs.Metrics(Id);
        foreach (var metric in metrics) Count(metric);
        chartRuns = [ChartRun.Of(run, metrics)];
        others = Store.Runs.All().Where(r => r.Id != Id).ToList();
        hasResult = RunDownloads.HasResult(run);
    }

    async Task Apply(RunUpdate update)
    {
        if (update.Status is { } changed)
        {
            (status, message) = (changed, update.Message);
            run = Store.Runs.Get(Id);   // its start and finish times
            hasResult = RunDownloads.HasResult(run);
        }
        if (update.Metric is { } metric && (last is null || metric.Step > last.Step))
        {
            Count(metric);
            if (chart is not null) await chart.Append(Id, metric);
        }
        StateHasChanged();
    }

    void Count(TrainingEvent metric)
    {
        last = metric;
        if (metric.MemoryBytes is { } bytes) peakMemory = Math.Max(peakMemory ?? 0, bytes);
        tokensPerSecondSum += metric.TokensPerSecond;
        meanTokensPerSecond = tokensPerSecondSum / ++stepCount;
    }

    void CompareWith(int? otherId) => other = otherId;

    void Cancel() => Runs.Cancel(Id);

    async Task Delete()
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync(L["Delete run"],
            L["Delete run '{0}' with its metrics and its folder {1} (checkpoints and adapter)? This cannot be undone.", run!.Name, run.OutputDir],
            yesText: L["Delete"], cancelText: L["Keep it"]);
        if (confirmed != true) return;
        try
        {
            Runs.Delete(Id);
            Navigation.NavigateTo("training");
        }
        catch (InvalidOperationException e)
        {
            deleteError = e.Message;   // it started running again meanwhile (the button is disabled while it runs)
        }
    }

    string Advice(RunFailureKind kind) => kind switch
    {
        RunFailureKind.Diverged => L["The loss became NaN or infinite: lower the learning rate, or train in bf16 or fp32 instead of fp16."],
        RunFailureKind.OutOfMemory => L["The device ran out of memory: use a smaller batch size or cutoff length (raise gradient accumulation to keep the effective batch), turn on gradient checkpointing, or train with QLoRA."],
        RunFailureKind.MissingModel => L["The base model's files were not found: check that it is still in the models folder (Models page), or download it again."],
        RunFailureKind.MissingDataset => L["The dataset or its version is gone or has no rows: check it on the Datasets page, then start a new run."],
        RunFailureKind.BrokenModel => L["The model's files could not be read: download the model again, or check its config.json, tokenizer and weights."],
        _ => L["The error above says what went wrong; the studio's log has the details."],
    };

    static string Clock(double seconds) => TimeSpan.FromSeconds(Math.Max(0, seconds)).ToString(@"hh\:mm\:ss", CultureInfo.CurrentCulture);


    /// <summary>Merges the adapter into a new model in the models folder (a background task; its state arrives by subscription).</summary>
    void Merge()
    {
        try
        {
            merge = Merges.Start(Id);
            mergeError = null;
        }
        catch (InvalidOperationException e)
        {
            mergeError = e.Message;
        }
    }

    public void Dispose()
    {
        subscription?.Dispose();
        mergeSubscription?.Dispose();
    }
}
