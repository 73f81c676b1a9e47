using System.Text;
using Microsoft.AspNetCore.Components;
using StyleStudio.Serving;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Tokenization;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Try a model or a style adapter at any strength: sampling settings with Hugging Face semantics, text streamed as it is
/// made. Generation goes through the same service (and batch) as the API; the page keeps only its form.
/// </summary>
public partial class Playground
{
    /// <summary>Streamed text is rendered at most this often; tokens arrive faster than a browser needs frames.</summary>
    static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    [Inject] GenerationService Generation { get; set; } = null!;
    [Inject] ModelHost Host { get; set; } = null!;
    [Inject] IHostApplicationLifetime Lifetime { get; set; } = null!;

    IReadOnlyList<ServableModel> models = [];
    string? model, loadError, generateError, system, loadedText;
    bool loading, generating;
    string message = "", template = PromptTemplates.Qwen.Name, output = "", stats = "";
    double temperature = 0.7, topP = 0.9, repetitionPenalty = 1.1, strength = 1.0;
    int topK, maxNewTokens = 256;
    long? seed;
    CancellationTokenSource? stop;

    ServableModel? Chosen => models.FirstOrDefault(m => m.Id == model);
    bool IsAdapter => Chosen?.AdapterFolder is not null;

    protected override void OnInitialized()
    {
        models = Generation.Models().Where(m => m.Problem is null).ToList();
        ChooseModel(models.FirstOrDefault(m => Host.Loaded.Any(b => b.Folder == m.BaseFolder))?.Id ?? models.FirstOrDefault()?.Id);
        loadedText = LoadedText();
    }

    static string Label(ServableModel m) => m.AdapterFolder is null ? m.Id
        : m.Style is { } style ? $"{m.Id} · {style} (on {m.BaseName})" : $"{m.Id} (on {m.BaseName})";

    void ChooseModel(string? id)
    {
        model = id;
        if (Chosen?.Template is { } trained) template = trained;   // answer in the layout it was trained on
    }

    string LoadedText() => Host.Loaded.Count == 0 ? "no model loaded"
        : "loaded: " + string.Join("; ", Host.Loaded.Select(b => $"{b.Name} on {b.Model.Device}" +
            (b.Engine.Adapters.Count > 0 ? $" with {b.Engine.Adapters.Count} adapter(s)" : "")));

    /// <summary>Loads the base and attaches the adapter now, so the first generation starts at once.</summary>
    async Task Load()
    {
        loading = true;
        loadError = null;
        try
        {
            using var lease = await Host.AcquireAsync(Chosen!);
            loadedText = LoadedText();
        }
        catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException or TokenizerLoadException or InvalidOperationException)
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
        generating = true;
        (output, stats, generateError) = ("", "", null);
        // Stopped by the user, or by the studio shutting down (SIGTERM must not wait for a long generation).
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        var text = new StringBuilder();
        var lastRender = DateTime.MinValue;
        try
        {
            var request = new GenerationRequest
            {
                Model = model!,
                Messages = [.. string.IsNullOrWhiteSpace(system) ? [] : new[] { new ChatTurn("system", system) }, new ChatTurn("user", message)],
                Template = template,
                StyleStrength = strength,
                Sampling = new SamplingOptions
                {
                    Temperature = temperature, TopP = topP, TopK = topK, RepetitionPenalty = repetitionPenalty,
                    MaxNewTokens = maxNewTokens, Seed = seed,
                },
            };
            await foreach (var e in Generation.StreamAsync(request, stop.Token))
            {
                if (e is GenerationDelta delta)
                {
                    text.Append(delta.Text);
                    if (DateTime.UtcNow - lastRender < RenderInterval) continue;
                    lastRender = DateTime.UtcNow;
                    output = text.ToString();
                    StateHasChanged();
                }
                else if (e is GenerationFinished end)
                {
                    output = end.Text;
                    stats = $"{end.CompletionTokens} tokens · {end.TokensPerSecond:N1} tok/s · {end.Reason.ToString().ToLowerInvariant()} · prompt {end.PromptTokens} tokens";
                }
            }
            loadedText = LoadedText();
        }
        catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException or TokenizerLoadException or InvalidOperationException)
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
