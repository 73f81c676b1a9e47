using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Serving;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Tokenization;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Web.Components.Shared;
using StyleStudio.Training.Templates;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Try a model or a style adapter at any strength: sampling settings with Hugging Face semantics, text streamed as it is
/// made. Side by side, one prompt and seed go through several models at once (a base and its adapters share a batch),
/// each streamed into its own column with its own token count and speed. Generation goes through the same service (and
/// batch) as the API; the page keeps only its form.
/// </summary>
public partial class Playground
{
    /// <summary>Streamed text is rendered at most this often; tokens arrive faster than a browser needs frames.</summary>
    static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    [Inject] GenerationService Generation { get; set; } = null!;
    [Inject] ModelHost Host { get; set; } = null!;
    [Inject] IHostApplicationLifetime Lifetime { get; set; } = null!;
    [Inject] IStringLocalizer<Playground> L { get; set; } = null!;

    /// <summary>The model or style to start with, e.g. <c>run-3</c> from a run's page or 古风 from the Styles page (<c>?model=</c>); else a loaded one.</summary>
    [SupplyParameterFromQuery(Name = "model")] public string? Model { get; set; }

    IReadOnlyList<ServableModel> models = [];
    string? model, loadError, generateError, system;
    RenderFragment? loadedText;
    bool loading, generating;
    string message = "", template = PromptTemplates.Qwen.Name, output = "", stats = "";
    double temperature = 0.7, topP = 0.9, repetitionPenalty = 1.1, strength = 1.0;
    int topK, maxNewTokens = 256;
    long? seed;
    CancellationTokenSource? stop;
    bool compare;
    IReadOnlyCollection<string> compared = [];
    List<Column> columns = [];

    ServableModel? Chosen => models.FirstOrDefault(m => m.Id == model);
    /// <summary>The models the next generation runs: the chosen one, or side by side the compared ones in list order.</summary>
    IEnumerable<ServableModel> ToRun => compare ? models.Where(m => compared.Contains(m.Id)) : Chosen is { } one ? [one] : [];
    bool IsAdapter => ToRun.Any(m => m.AdapterFolder is not null);
    /// <summary>A model to run and a text to rewrite: an empty message would only have the models answer an empty turn.</summary>
    bool CanGenerate => !generating && ToRun.Any() && !string.IsNullOrWhiteSpace(message);
    /// <summary>Columns side by side on a wide screen: up to four in a row.</summary>
    int ColumnWidth => Math.Max(3, 12 / Math.Max(1, columns.Count));

    /// <summary>The settings the next generation uses, as the line under the buttons says them.</summary>
    string Plan => (compare ? L["{0} models · ", ToRun.Count()] : "")
        + L["temperature {0} · top-p {1} · up to {2} tokens · ", temperature, topP, maxNewTokens]
        + (seed is { } s ? L["seed {0}", s] : L["no seed"])
        + (IsAdapter ? L[" · strength {0}", strength.ToString("0.00")] : "");

    /// <summary>One model's column: its streamed text and how its generation went.</summary>
    sealed class Column(ServableModel model, string label)
    {
        public ServableModel Served => model;
        public string Model => model.Id;
        public string Label => label;
        public StringBuilder Text { get; } = new();
        public string Output { get; set; } = "";
        public string Stats { get; set; } = "";
        public string? Error { get; set; }
    }

    protected override void OnInitialized()
    {
        models = Generation.Models().Where(m => m.Problem is null).ToList();
        ChooseModel(models.FirstOrDefault(m => m.Id == Model)?.Id
                    ?? models.FirstOrDefault(m => Host.Loaded.Any(b => b.Folder == m.BaseFolder))?.Id ?? models.FirstOrDefault()?.Id);
        loadedText = LoadedText();
    }

    string Label(ServableModel m) => m.AdapterFolder is null ? m.Id
        : m.Style is { } style ? L["{0} · {1} (on {2})", m.Id, style, m.BaseName] : L["{0} (on {1})", m.Id, m.BaseName];

    /// <summary>A column's heading: the model, and a base said to be one.</summary>
    Column ColumnFor(ServableModel m) => new(m, m.AdapterFolder is null ? L["{0} (base)", m.Id]
        : m.Style is { } style ? $"{m.Id} · {style}" : m.Id);

    void ChooseModel(string? id)
    {
        model = id;
        if (Chosen?.Template is { } trained) template = trained;   // answer in the layout it was trained on
        if (Chosen?.Presets is { } presets)   // a style starts from its own sampling
            (temperature, topP, maxNewTokens, strength) = (presets.Temperature, presets.TopP, presets.MaxNewTokens, presets.Strength);
    }

    void ChooseCompared(IReadOnlyCollection<string>? ids)
    {
        compared = ids?.ToList() ?? [];
        columns = ToRun.Select(ColumnFor).ToList();
    }

    /// <summary>Side by side starts from the model already chosen (a base and its adapters are then a click each).</summary>
    void SetCompare(bool on)
    {
        compare = on;
        if (on && !compared.Any() && model is not null) ChooseCompared([model]);
    }

    /// <summary>The bases loaded now, each with its device and adapters; names and devices kept as they are (translate="no").</summary>
    RenderFragment LoadedText()
    {
        if (Host.Loaded.Count == 0) return Sentence.Compose(L["no model loaded"]);
        var bases = Host.Loaded.Select(b => b.Engine.Adapters.Count > 0
            ? Sentence.Compose(L["{0} on {1} with {2} adapter(s)"], Sentence.Untranslated(b.Name), Device(b.Model.Device), b.Engine.Adapters.Count)
            : Sentence.Compose(L["{0} on {1}"], Sentence.Untranslated(b.Name), Device(b.Model.Device))).ToList();
        return Sentence.Compose(L["loaded: {0}"], (RenderFragment)(builder =>
        {
            for (int i = 0; i < bases.Count; i++)
            {
                if (i > 0) builder.AddContent(0, "; ");
                builder.AddContent(1, bases[i]);
            }
        }));
    }

    static RenderFragment Device(ComputeDevice device) => builder =>
    {
        builder.OpenComponent<DeviceText>(0);
        builder.AddComponentParameter(1, nameof(DeviceText.Device), device);
        builder.CloseComponent();
    };

    /// <summary>Loads the base and attaches the adapter now, so the first generation starts at once.</summary>
    async Task Load()
    {
        loading = true;
        loadError = null;
        try
        {
            foreach (var served in ToRun.ToList())
            {
                using var lease = await Host.AcquireAsync(served);
            }
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

    /// <summary>The page's prompt and settings for <paramref name="served"/>; side by side, a model trained with a template of
    /// its own answers in that one (as the API does), the rest in the page's.</summary>
    GenerationRequest RequestFor(ServableModel served) => new()
    {
        Model = served.Id,
        Messages = [.. string.IsNullOrWhiteSpace(system) ? [] : new[] { new ChatTurn("system", system) }, new ChatTurn("user", message)],
        Template = compare ? served.Template ?? template : template,
        StyleStrength = strength,
        Sampling = new SamplingOptions
        {
            Temperature = temperature, TopP = topP, TopK = topK, RepetitionPenalty = repetitionPenalty,
            MaxNewTokens = maxNewTokens, Seed = seed,
        },
    };

    string Stats(GenerationFinished end) =>
        L["{0} tokens · {1} tok/s · {2} · prompt {3} tokens", end.CompletionTokens, end.TokensPerSecond.ToString("N1"), Reason(end.Reason), end.PromptTokens];

    /// <summary>Why a generation ended, as the stats line says it.</summary>
    string Reason(FinishReason reason) => reason switch
    {
        FinishReason.Eos => L["eos"],
        FinishReason.Length => L["length"],
        FinishReason.StopString => L["stopstring"],
        FinishReason.Cancelled => L["cancelled"],
        _ => reason.ToString().ToLowerInvariant(),
    };

    Task Generate() => compare ? GenerateSideBySide() : GenerateOne();

    async Task GenerateOne()
    {
        generating = true;
        (output, stats, generateError) = ("", "", null);
        // Stopped by the user, or by the studio shutting down (SIGTERM must not wait for a long generation).
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        var text = new StringBuilder();
        var lastRender = DateTime.MinValue;
        try
        {
            var request = RequestFor(Chosen!);
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
                    stats = Stats(end);
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

    /// <summary>All columns at once: each model's text streams into its column as the shared batch makes it.</summary>
    async Task GenerateSideBySide()
    {
        generating = true;
        generateError = null;
        columns = ToRun.Select(ColumnFor).ToList();
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        var lastRender = DateTime.MinValue;
        try
        {
            var requests = columns.Select(c => RequestFor(c.Served)).ToList();
            await foreach (var (index, e) in Generation.StreamSideBySideAsync(requests, stop.Token))
            {
                var column = columns[index];
                switch (e)
                {
                    case GenerationDelta delta:
                        column.Text.Append(delta.Text);
                        if (DateTime.UtcNow - lastRender < RenderInterval) continue;
                        lastRender = DateTime.UtcNow;
                        foreach (var c in columns) c.Output = c.Text.ToString();
                        break;
                    case GenerationFinished end:
                        column.Output = end.Text;
                        column.Stats = Stats(end);
                        break;
                    case GenerationFailed failed:
                        column.Error = failed.Message;
                        break;
                }
                StateHasChanged();
            }
            loadedText = LoadedText();
        }
        catch (ArgumentException e)
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
