using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Components.Training;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Runs overlaid on one chart (<c>/runs/compare?ids=1,2</c>), live for those still training, with the settings in which
/// they differ.
/// </summary>
public partial class RunCompare : IDisposable
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] RunEvents Events { get; set; } = null!;
    [Inject] IStringLocalizer<RunCompare> L { get; set; } = null!;

    /// <summary>The runs to compare, comma-separated ids in the order they are drawn.</summary>
    [SupplyParameterFromQuery(Name = "ids")] public string? Ids { get; set; }

    IReadOnlyList<RunRecord> runs = [];
    IReadOnlyList<ChartRun> chartRuns = [];
    List<string> missing = [];
    RunChart? chart;
    readonly List<IDisposable> subscriptions = [];

    protected override void OnParametersSet()
    {
        Dispose();
        var found = new List<RunRecord>();
        missing = [];
        foreach (string id in (Ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct())
        {
            if (!int.TryParse(id, out int runId)) { missing.Add(id); continue; }
            // Subscribe before reading the stored steps, so no step falls between the two (the chart skips repeats).
            subscriptions.Add(Events.Subscribe(runId, update => InvokeAsync(() => Apply(update))));
            try { found.Add(Store.Runs.Get(runId)); }
            catch (ArgumentException) { missing.Add(id); }
        }
        runs = found;
        chartRuns = runs.Select(r => ChartRun.Of(r, Store.Runs.Metrics(r.Id))).ToList();
    }

    async Task Apply(RunUpdate update)
    {
        if (update.Metric is { } metric && chart is not null) await chart.Append(update.RunId, metric);
        if (update.Status is not null)
        {
            runs = runs.Select(r => r.Id == update.RunId ? Store.Runs.Get(r.Id) : r).ToList();
            StateHasChanged();
        }
    }

    public void Dispose()
    {
        foreach (var subscription in subscriptions) subscription.Dispose();
        subscriptions.Clear();
    }
}
