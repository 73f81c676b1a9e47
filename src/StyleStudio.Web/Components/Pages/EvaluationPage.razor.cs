using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Templates;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Pages;

/// <summary>Scores a model (optionally with a run's adapter) on a dataset's rows; the work runs while the page is open.</summary>
public partial class EvaluationPage
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] IHostApplicationLifetime Lifetime { get; set; } = null!;
    [Inject] ModelCatalog Catalog { get; set; } = null!;

    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<ModelEntry> models = [];
    IReadOnlyList<RunRecord> adapterRuns = [];
    string? dataset, model, error;
    int? adapterRun;
    string template = PromptTemplates.Qwen.Name, progressText = "";
    int limit = 50, maxNewTokens = 128;
    bool running;
    EvaluationReport? report;
    CancellationTokenSource? stop;

    protected override void OnInitialized()
    {
        datasets = Store.Datasets();
        models = Catalog.Models();
        adapterRuns = Store.Runs.All().Where(r => r.Status == RunStatus.Completed && r.Settings.FinetuningType == "lora").ToList();
        dataset = datasets.FirstOrDefault()?.Name;
        model = models.FirstOrDefault()?.Name;
    }

    void ChooseAdapter(int? runId)
    {
        adapterRun = runId;
        if (adapterRuns.FirstOrDefault(r => r.Id == runId) is { } run) template = run.Settings.Template;   // as it was trained
    }

    async Task Run()
    {
        (running, error, report, progressText) = (true, null, null, "loading the model");
        // Stopped by the user, or by the studio shutting down (SIGTERM must not wait for an evaluation).
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        var token = stop.Token;
        try
        {
            var run = adapterRun is { } id ? Store.Runs.Get(id) : null;
            var rows = Store.Rows(Store.Find(dataset!).Id).Take(limit).ToList();
            string modelPath = Catalog.Path(model!);
            var progress = new Progress<int>(done => InvokeAsync(() => { progressText = $"rewritten {done} / {rows.Count}"; StateHasChanged(); }));
            report = await Task.Run(() =>
            {
                using var loaded = PretrainedModel.Load(modelPath, new ModelLoadOptions(DevicePreference.Auto));
                if (run is not null) PeftAdapter.LoadMerged(loaded.Network, run.OutputDir);
                var options = new SamplingOptions { Temperature = 0, MaxNewTokens = maxNewTokens };
                return StyleEvaluator.Run(loaded, PromptTemplates.Get(template), rows, options, progress: progress, cancellation: token);
            }, token);
        }
        catch (OperationCanceledException)
        {
            error = "stopped";
        }
        catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException)
        {
            error = e.Message;
        }
        finally
        {
            running = false;
            stop.Dispose();
            stop = null;
        }
    }

    public void Dispose() => stop?.Cancel();
}
