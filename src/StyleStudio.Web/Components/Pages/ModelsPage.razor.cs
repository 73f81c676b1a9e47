using System.Net;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using MudBlazor;
using StyleStudio.Data.Storage;
using StyleStudio.Models.Download;
using StyleStudio.Models.Hubs;
using StyleStudio.Models.Local;
using StyleStudio.Web.Components.Shared;
using StyleStudio.Web.Models;

namespace StyleStudio.Web.Components.Pages;

/// <summary>The local models (details, runs using them, whether they load) with their PEFT adapters under them, downloads with
/// live progress, add by path, delete.</summary>
public partial class ModelsPage : IDisposable
{
    [Inject] LocalModels Library { get; set; } = null!;
    [Inject] ModelDownloads Downloads { get; set; } = null!;
    [Inject] IModelUsers Users { get; set; } = null!;
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] IDialogService Dialogs { get; set; } = null!;
    [Inject] IOptions<StudioOptions> Options { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] IStringLocalizer<ModelsPage> L { get; set; } = null!;

    /// <summary>A Hugging Face id to download at once: the empty states' one-click suggestion links here with it.</summary>
    [SupplyParameterFromQuery(Name = "pull")] public string? Pull { get; set; }

    IReadOnlyList<LocalModel> models = [];
    IReadOnlyList<LocalAdapter> adapters = [];
    IReadOnlyList<DownloadState> downloads = [];
    ILookup<string, RunRecord> runsByModel = Enumerable.Empty<RunRecord>().ToLookup(r => r.Model);
    bool loading = true;
    string repoId = "", revision = "", token = "", addPath = "", addName = "";
    HubSource source = HubSource.HuggingFace;
    RenderFragment? downloadError, addError, removeError;
    IDisposable? subscription;

    protected override async Task OnInitializedAsync()
    {
        downloads = Downloads.All();
        subscription = Downloads.Subscribe(OnDownload);
        await ReloadAsync();
    }

    /// <summary>Inspection reads every weights header and tokenizer, so it runs off the circuit's thread.</summary>
    async Task ReloadAsync()
    {
        loading = true;
        (models, adapters) = await Task.Run(() => (Library.List(), Library.Adapters()));
        runsByModel = Store.Runs.All().ToLookup(r => r.Model);
        loading = false;
    }

    protected override void OnAfterRender(bool firstRender)
    {
        // Only once the circuit is live (not while prerendering), and the address is cleaned so a reload does not ask again.
        if (!firstRender || string.IsNullOrWhiteSpace(Pull)) return;
        (repoId, source) = (Pull, HubSource.HuggingFace);
        Download();
        Navigation.NavigateTo("models", replace: true);
        StateHasChanged();
    }

    IEnumerable<RunRecord> RunsOf(string model) => runsByModel[model];

    IEnumerable<LocalAdapter> AdaptersOf(string model) => adapters.Where(a => a.BaseName == model);

    IEnumerable<LocalAdapter> Unattached => adapters.Where(a => !models.Any(m => m.Name == a.BaseName));

    void OnDownload(DownloadState state) => InvokeAsync(async () =>
    {
        downloads = Downloads.All();
        if (state.Status == DownloadStatus.Completed) await ReloadAsync();
        StateHasChanged();
    });

    void Download()
    {
        downloadError = null;
        try
        {
            Downloads.Start(repoId, source, revision, token);
            (repoId, revision, token) = ("", "", "");
        }
        catch (DownloadConflictException e)
        {
            downloadError = e.ModelsFolder is null
                ? Sentence.Compose(L["{0} is already being downloaded."], Sentence.Untranslated(e.Name))
                : Sentence.Compose(L["A model named {0} is already in {1}."], Sentence.Untranslated(e.Name), Sentence.Untranslated(e.ModelsFolder));
        }
        catch (ArgumentException e)
        {
            downloadError = Failure(L["Cannot download: {0}"], e.Message);   // a malformed id: the hub client's words
        }
    }

    async Task Add()
    {
        addError = null;
        try
        {
            await Task.Run(() => Library.Register(addPath, addName));
            (addPath, addName) = ("", "");
            await ReloadAsync();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            addError = Failure(L["Cannot add the folder: {0}"], e.Message);
        }
    }

    async Task Remove(LocalModel model)
    {
        removeError = null;
        bool registered = model.Origin == ModelOrigin.Registered;
        bool? confirmed = await Dialogs.ShowMessageBoxAsync(registered ? L["Forget model"] : L["Delete model"],
            registered ? Markup(L["Forget {0}? Its folder {1} stays on disk."], model.Name, model.Path)
                       : Markup(L["Delete {0} and its folder {1} ({2})?"], model.Name, model.Path, DownloadProgress.Bytes(model.BytesOnDisk)),
            yesText: registered ? L["Forget"] : L["Delete"], cancelText: L["Cancel"]);
        if (confirmed != true) return;
        try
        {
            await Task.Run(() => Library.Remove(model.Name, Users));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            removeError = Failure(L["Cannot remove the model: {0}"], e.Message);   // e.g. which runs use it
        }
        await ReloadAsync();
    }

    /// <summary>A translated lead-in with a lower layer's (English) message kept apart as untranslated text.</summary>
    static RenderFragment Failure(LocalizedString lead, string detail) => Sentence.Compose(lead, Sentence.Untranslated(detail));

    /// <summary>A dialog message: the translated sentence with names and paths as untranslated, HTML-encoded text.</summary>
    static MarkupString Markup(LocalizedString sentence, params string[] names) =>
        new(string.Format(WebUtility.HtmlEncode(sentence.Value),
            names.Select(name => $"<span translate=\"no\">{WebUtility.HtmlEncode(name)}</span>").ToArray<object>()));

    string RunStatusName(RunStatus status) => status switch
    {
        RunStatus.Queued => L["queued"],
        RunStatus.Running => L["running"],
        RunStatus.Completed => L["completed"],
        RunStatus.Failed => L["failed"],
        _ => L["cancelled"],
    };

    static string FormatParameters(long parameters) =>
        parameters >= 1_000_000_000 ? $"{parameters / 1e9:F2} B" : parameters >= 1_000_000 ? $"{parameters / 1e6:F1} M" : $"{parameters / 1e3:F1} K";

    public void Dispose() => subscription?.Dispose();
}
