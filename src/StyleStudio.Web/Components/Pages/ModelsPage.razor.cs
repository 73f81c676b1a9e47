using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;
using StyleStudio.Data.Storage;
using StyleStudio.Models.Hubs;
using StyleStudio.Models.Local;
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

    /// <summary>A Hugging Face id to download at once: the empty states' one-click suggestion links here with it.</summary>
    [SupplyParameterFromQuery(Name = "pull")] public string? Pull { get; set; }

    IReadOnlyList<LocalModel> models = [];
    IReadOnlyList<LocalAdapter> adapters = [];
    IReadOnlyList<DownloadState> downloads = [];
    ILookup<string, string> runsByModel = Enumerable.Empty<string>().ToLookup(x => x);
    bool loading = true;
    string repoId = "", revision = "", token = "", addPath = "", addName = "";
    HubSource source = HubSource.HuggingFace;
    string? downloadError, addError, removeError;
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
        runsByModel = Store.Runs.All().ToLookup(r => r.Model, r => $"{r.Name} ({r.Status.ToString().ToLowerInvariant()})");
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

    IEnumerable<string> RunsOf(string model) => runsByModel[model];

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
        catch (ArgumentException e)
        {
            downloadError = e.Message;
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
            addError = e.Message;
        }
    }

    async Task Remove(LocalModel model)
    {
        removeError = null;
        bool registered = model.Origin == ModelOrigin.Registered;
        bool? confirmed = await Dialogs.ShowMessageBoxAsync(registered ? "Forget model" : "Delete model",
            registered ? $"Forget '{model.Name}'? Its folder {model.Path} stays on disk."
                       : $"Delete '{model.Name}' and its folder {model.Path} ({StyleStudio.Models.Download.DownloadProgress.Bytes(model.BytesOnDisk)})?",
            yesText: registered ? "Forget" : "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        try
        {
            await Task.Run(() => Library.Remove(model.Name, Users));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            removeError = e.Message;
        }
        await ReloadAsync();
    }

    static string FormatParameters(long parameters) =>
        parameters >= 1_000_000_000 ? $"{parameters / 1e9:F2} B" : parameters >= 1_000_000 ? $"{parameters / 1e6:F1} M" : $"{parameters / 1e3:F1} K";

    public void Dispose() => subscription?.Dispose();
}
