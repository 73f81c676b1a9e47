using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Generates pairs from styled texts ("de-styling"): the form starts a generation job; the generation shown (the one in
/// the address) updates live from the job's events, its items listed with the reasons rejected ones were turned away.
/// The page keeps only form state; <see cref="PairGenerations"/> does the rest.
/// </summary>
public partial class PairGenerationPage
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] PairGenerations Generations { get; set; } = null!;
    [Inject] PairGenerationEvents Events { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] IStringLocalizer<PairGenerationPage> L { get; set; } = null!;

    /// <summary>The generation to show (from <c>/pairs/generate/ID</c>); none when null.</summary>
    [Parameter] public int? Id { get; set; }

    static readonly string[] OwnMessages =
        [PairGenerationMessages.Cancelled, PairGenerationMessages.CancelledBeforeStart, PairGenerationMessages.Interrupted, PairGenerationMessages.NothingKept];

    IReadOnlyList<CorpusRecord> corpora = [];
    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<string> models = [];
    IReadOnlyList<PairGenerationRecord> all = [];
    PairGenerationRecord? current;
    List<PairItem> items = [];
    string? error, source, model, endpoint, endpointModel, apiKey;
    PairSourceKind sourceKind = PairSourceKind.Corpus;
    bool useEndpoint, dropDuplicates = true;
    string prompt = PairPrompt.Chinese, target = "", style = "", instruction = "";
    double temperature, minRatio, maxRatio, minSimilarity;
    int texts = 100, maxTokens = 256;
    IDisposable? subscription;

    IEnumerable<(string Name, long Texts)> Sources => sourceKind == PairSourceKind.Corpus
        ? corpora.Select(c => (c.Name, (long)c.Texts))
        : datasets.Select(d => (d.Name, d.Rows));

    protected override void OnInitialized()
    {
        corpora = Store.Corpora.All();
        datasets = Store.Datasets();
        models = Generations.ServableModels();
        model = models.FirstOrDefault();
        UseFilterDefaults(chinese: true);
        if (corpora.Count == 0 && datasets.Count > 0) sourceKind = PairSourceKind.Dataset;
        ChooseSource(Sources.Select(s => s.Name).FirstOrDefault());
        subscription = Events.Subscribe(update => InvokeAsync(() =>
        {
            all = Generations.All();
            if (update.GenerationId == current?.Id) Update(update);
            StateHasChanged();
        }));
    }

    protected override void OnParametersSet()
    {
        all = Generations.All();
        if (Id is { } id && all.Any(g => g.Id == id)) Show(id);
        else (current, items) = (null, []);
    }

    void Show(int id)
    {
        current = Generations.Get(id);
        items = Generations.Items(id).ToList();
    }

    /// <summary>A new item is appended (reading every item again per item would grow with the square of a long generation);
    /// anything else (a start, which clears them) reads them again.</summary>
    void Update(PairGenerationUpdate update)
    {
        current = Generations.Get(update.GenerationId);
        if (update.Item is { } item && item.Number == items.Count + 1) items.Add(item);
        else items = Generations.Items(update.GenerationId).ToList();
    }

    void ChooseSourceKind(PairSourceKind kind)
    {
        sourceKind = kind;
        ChooseSource(Sources.Select(s => s.Name).FirstOrDefault());
    }

    /// <summary>A new source sets what depends on its language and style: prompt, filter bounds, label, instruction, target.</summary>
    void ChooseSource(string? name)
    {
        source = name;
        if (name is null) return;
        var sample = Generations.SourceTexts(sourceKind, name).Take(20).ToList();
        bool chinese = TextFeatures.IsMostlyHan(string.Concat(sample));
        prompt = PairPrompt.For(chinese);
        UseFilterDefaults(chinese);
        style = sourceKind == PairSourceKind.Corpus
            ? corpora.First(c => c.Name == name).Style
            : Store.Rows(Store.Find(name).Id).Select(r => r.Style).FirstOrDefault(s => !string.IsNullOrEmpty(s)) ?? "";
        instruction = chinese
            ? style.Length > 0 ? $"请把下面的文字改写成{style}风格：" : "请改写下面的文字："
            : style.Length > 0 ? $"Rewrite the following text in a {style} style:" : "Rewrite the following text:";
        target = $"{name}-pairs";
    }

    void UseFilterDefaults(bool chinese)
    {
        var defaults = PairFilterSettings.For(chinese);
        (minRatio, maxRatio, minSimilarity, dropDuplicates) = (defaults.MinLengthRatio, defaults.MaxLengthRatio, defaults.MinSimilarity, defaults.DropDuplicates);
    }

    void Start()
    {
        error = null;
        try
        {
            var rewriter = useEndpoint ? new PairRewriter(endpointModel?.Trim() ?? "", endpoint?.Trim() ?? "") : new PairRewriter(model ?? "");
            var filters = new PairFilterSettings { MinLengthRatio = minRatio, MaxLengthRatio = maxRatio, MinSimilarity = minSimilarity, DropDuplicates = dropDuplicates };
            var record = Generations.Start(new PairGenerationSettings(sourceKind, source!, rewriter, prompt.Trim(), temperature, maxTokens, texts,
                filters, target.Trim(), style, instruction.Trim()), useEndpoint && !string.IsNullOrEmpty(apiKey) ? apiKey : null);
            Navigation.NavigateTo($"pairs/generate/{record.Id}");
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
    }

    static bool IsOwnMessage(string message) => OwnMessages.Contains(message);

    string StatusName(PairGenerationStatus status) => status switch
    {
        PairGenerationStatus.Queued => L["Queued"],
        PairGenerationStatus.Running => L["Running"],
        PairGenerationStatus.Completed => L["Completed"],
        PairGenerationStatus.Failed => L["Failed"],
        _ => L["Cancelled"],
    };

    /// <summary>Kept, or the filter that turned the pair away and what it measured.</summary>
    string Outcome(PairItem item)
    {
        if (item.Rejection is not { } rejection) return L["Kept (similarity {0})", PairFilters.Format(item.Similarity ?? 0)];
        string value = rejection.Value is { } v ? PairFilters.Format(v) : "";
        var bounds = current!.Settings.Filters;
        return rejection.Filter switch
        {
            PairFilter.Empty => L["Empty rewrite"],
            PairFilter.Refusal => L["The model declined"],
            PairFilter.Echo => L["The rewrite repeats the text"],
            PairFilter.DuplicateStyled => L["Same text as #{0}", (int)rejection.Value!.Value],
            PairFilter.DuplicatePlain => L["Same rewrite as #{0}", (int)rejection.Value!.Value],
            PairFilter.LengthRatio => L["Length ratio {0} outside {1}–{2}", value, PairFilters.Format(bounds.MinLengthRatio), PairFilters.Format(bounds.MaxLengthRatio)],
            _ => L["Similarity {0} below {1}", value, PairFilters.Format(bounds.MinSimilarity)],
        };
    }

    public void Dispose() => subscription?.Dispose();
}
