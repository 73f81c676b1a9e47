using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Training;

/// <summary>
/// The runs table: filter by status, model and dataset, search by name, sort by column, tick runs to compare them on one
/// chart; a running run shows its device memory from its latest step, live. The filters are this component's own state.
/// </summary>
public partial class RunList : IDisposable
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] RunEvents Events { get; set; } = null!;
    [Inject] IStringLocalizer<RunList> L { get; set; } = null!;

    /// <summary>Runs to list, newest first. Required.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<RunRecord> Runs { get; set; } = [];

    string? search, model, dataset;
    RunStatus? status;
    readonly HashSet<int> selected = [];
    readonly ConcurrentDictionary<int, long> memory = new();
    IDisposable? subscription;

    IEnumerable<RunRecord> Shown => Runs.Where(r =>
        (status is null || r.Status == status) && (model is null || r.Model == model) && (dataset is null || r.DatasetName == dataset) &&
        (string.IsNullOrWhiteSpace(search) || r.Name.Contains(search.Trim(), StringComparison.CurrentCultureIgnoreCase)));

    string CompareHref => $"runs/compare?ids={string.Join(',', selected.Order())}";

    protected override void OnInitialized() =>
        subscription = Events.SubscribeAll(update =>
        {
            if (update.Metric?.MemoryBytes is not { } bytes) return;
            memory[update.RunId] = bytes;
            _ = InvokeAsync(StateHasChanged);
        });

    protected override void OnParametersSet()
    {
        // A run already running when the page opened: its latest recorded step says how much memory it holds.
        foreach (var run in Runs.Where(r => r.Status == RunStatus.Running && !memory.ContainsKey(r.Id)))
            if (Store.Runs.Metrics(run.Id).LastOrDefault()?.MemoryBytes is { } bytes) memory[run.Id] = bytes;
    }

    void Select(int id, bool on)
    {
        if (on) selected.Add(id);
        else selected.Remove(id);
    }


    public void Dispose() => subscription?.Dispose();
}
