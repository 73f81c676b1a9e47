using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation;
using StyleStudio.Serving;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Templates;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Scores a model (a base, or a style adapter on it) on a dataset's rows; the rows decode together on the serving
/// engine (the page loads no model of its own), while the page is open.
/// </summary>
public partial class EvaluationPage
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] IHostApplicationLifetime Lifetime { get; set; } = null!;
    [Inject] GenerationService Generation { get; set; } = null!;

    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<ServableModel> models = [];
    string? dataset, model, error;
    string template = PromptTemplates.Qwen.Name, progressText = "";
    int limit = 50, maxNewTokens = 128;
    bool running;
    EvaluationReport? report;
    CancellationTokenSource? stop;

    protected override void OnInitialized()
    {
        datasets = Store.Datasets();
        models = Generation.Models().Where(m => m.Problem is null).ToList();
        dataset = datasets.FirstOrDefault()?.Name;
        ChooseModel(models.FirstOrDefault()?.Id);
    }

    void ChooseModel(string? id)
    {
        model = id;
        if (models.FirstOrDefault(m => m.Id == id)?.Template is { } trained) template = trained;   // as it was trained
    }

    async Task Run()
    {
        (running, error, report, progressText) = (true, null, null, "loading the model");
        // Stopped by the user, or by the studio shutting down (SIGTERM must not wait for an evaluation).
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        var token = stop.Token;
        try
        {
            var rows = Store.Rows(Store.Find(dataset!).Id).Take(limit).ToList();
            var progress = new Progress<int>(done => InvokeAsync(() => { progressText = $"rewritten {done} / {rows.Count}"; StateHasChanged(); }));
            report = await StyleEvaluator.RunAsync(new ServedStyleModel(Generation, model!, template, maxNewTokens), rows,
                progress: progress, cancellation: token);
        }
        catch (OperationCanceledException)
        {
            error = "stopped";
        }
        catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException or InvalidOperationException)
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
