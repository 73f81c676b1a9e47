using Microsoft.AspNetCore.Components;
using MudBlazor;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Components.Training;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Pages;

/// <summary>One run, live: status, progress and the loss chart, fed by the run's job through <see cref="RunEvents"/>.</summary>
public partial class RunPage
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] RunEvents Events { get; set; } = null!;
    [Inject] TrainingRuns Runs { get; set; } = null!;
    [Inject] IDialogService Dialogs { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;

    /// <summary>The run's id, from the route.</summary>
    [Parameter] public int Id { get; set; }

    RunRecord? run;
    string? notFound, message, deleteError;
    RunStatus status;
    List<RunMetric> initial = [];
    RunMetric? last;
    LossChart? chart;
    IDisposable? subscription;

    protected override void OnParametersSet()
    {
        subscription?.Dispose();
        // Subscribe before reading the stored steps, so no step falls between the two (the chart skips repeats).
        subscription = Events.Subscribe(Id, update => InvokeAsync(() => Apply(update)));
        try
        {
            run = Store.Runs.Get(Id);
        }
        catch (ArgumentException e)
        {
            (run, notFound) = (null, e.Message);
            return;
        }
        (status, message) = (run.Status, run.Message);
        initial = Store.Runs.Metrics(Id).ToList();
        last = initial.LastOrDefault();
    }

    async Task Apply(RunUpdate update)
    {
        if (update.Status is { } changed) (status, message) = (changed, update.Message);
        if (update.Metric is { } metric)
        {
            last = metric;
            if (chart is not null) await chart.Append(metric);
            else initial.Add(metric);   // the chart is not built yet: it starts from these
        }
        StateHasChanged();
    }

    void Cancel() => Runs.Cancel(Id);

    bool Active => status is RunStatus.Queued or RunStatus.Running;

    async Task Delete()
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Delete run",
            $"Delete run '{run!.Name}' with its metrics and its folder {run.OutputDir} (checkpoints and adapter)? This cannot be undone.",
            yesText: "Delete", cancelText: "Keep it");
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

    public void Dispose() => subscription?.Dispose();
}
