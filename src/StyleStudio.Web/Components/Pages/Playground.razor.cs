using System.Text;
using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Tokenization;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Pages;

/// <summary>Try a model or a trained adapter: sampling settings with Hugging Face semantics, text streamed as it is made.</summary>
public partial class Playground
{
    /// <summary>Streamed text is rendered at most this often; tokens arrive faster than a browser needs frames.</summary>
    static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    [Inject] ModelCatalog Catalog { get; set; } = null!;
    [Inject] ServedModel Models { get; set; } = null!;
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] IHostApplicationLifetime Lifetime { get; set; } = null!;

    IReadOnlyList<ModelEntry> models = [];
    IReadOnlyList<RunRecord> adapterRuns = [];
    string? model, loadError, generateError, system;
    int? adapterRun;
    bool loading, generating;
    string message = "", template = PromptTemplates.Qwen.Name, output = "", stats = "";
    double temperature = 0.7, topP = 0.9, repetitionPenalty = 1.1;
    int topK, maxNewTokens = 256;
    long? seed;
    CancellationTokenSource? stop;

    protected override void OnInitialized()
    {
        models = Catalog.Models();
        adapterRuns = Store.Runs.All().Where(r => r.Status == RunStatus.Completed && r.Settings.FinetuningType == "lora").ToList();
        model = Models.Current?.Name ?? models.FirstOrDefault()?.Name;
        adapterRun = Models.Current?.AdapterRun?.Id;
        if (Models.Current?.AdapterRun is { } run) template = run.Settings.Template;
    }

    async Task Load()
    {
        loading = true;
        loadError = null;
        try
        {
            var loaded = await Models.LoadAsync(model!, adapterRun);
            if (loaded.AdapterRun is { } run) template = run.Settings.Template;   // answer in the layout it was trained on
        }
        catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException or TokenizerLoadException)
        {
            loadError = e.Message;
        }
        finally
        {
            loading = false;
        }
    }

    async Task Generate()
    {
        var loaded = Models.Current;
        if (loaded is null) return;
        generating = true;
        (output, stats, generateError) = ("", "", null);
        // Stopped by the user, or by the studio shutting down (SIGTERM must not wait for a long generation).
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        var text = new StringBuilder();
        var lastRender = DateTime.MinValue;
        try
        {
            var options = new SamplingOptions
            {
                Temperature = temperature, TopP = topP, TopK = topK, RepetitionPenalty = repetitionPenalty,
                MaxNewTokens = maxNewTokens, Seed = seed,
            };
            options.Validate();
            var token = stop.Token;
            var result = await Task.Run(() =>
            {
                using var lease = loaded.Lease();
                var prompt = TemplatedPrompt.Create(loaded.Model, PromptTemplates.Get(template), message, string.IsNullOrWhiteSpace(system) ? null : system);
                return new TextGenerator(loaded.Model, prompt.StopIds).Generate(prompt.Ids, options, delta =>
                {
                    lock (text) text.Append(delta.Text);
                    if (DateTime.UtcNow - lastRender < RenderInterval) return;
                    lastRender = DateTime.UtcNow;
                    _ = InvokeAsync(() => { lock (text) output = text.ToString(); StateHasChanged(); });
                }, token);
            });
            output = result.Text;
            stats = $"{result.TokenIds.Count} tokens · {result.TokensPerSecond:N1} tok/s · {result.FinishReason.ToString().ToLowerInvariant()} · prompt {result.PromptTokens} tokens";
        }
        catch (Exception e) when (e is ArgumentException or ObjectDisposedException)
        {
            generateError = e.Message;
        }
        finally
        {
            generating = false;
            stop.Dispose();
            stop = null;
        }
    }

    void Stop() => stop?.Cancel();

    public void Dispose() => stop?.Cancel();
}
