using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using MudBlazor;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// One dataset: its rows page by page, prompt preview, cleaning, re-mapping, versions and the rows its import rejected;
/// rename and delete (after a confirmation).
/// </summary>
public partial class DatasetDetail
{
    const int PageSize = 25;

    [Inject] DataStore Store { get; set; } = null!;
    [Inject] IDialogService Dialogs { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] IStringLocalizer<DatasetDetail> L { get; set; } = null!;

    /// <summary>The dataset's name, from the route.</summary>
    [Parameter] public string Name { get; set; } = "";

    DatasetSummary? dataset;
    string? notFound;
    IReadOnlyList<DatasetRow> page = [];
    int rowPage;
    IReadOnlyList<DatasetVersion> versions = [];
    IReadOnlyList<RowError> rejected = [];
    FieldMapping? mapping;
    MappingPreview? remap;
    bool remapConfirmed, renaming;
    string newName = "";
    /// <summary>Why the last action failed: a translated lead-in and the store's own (English) message.</summary>
    (string Lead, string Detail)? actionError;

    int PageCount => (int)Math.Max(1, (dataset!.Rows + PageSize - 1) / PageSize);

    protected override void OnParametersSet() => Reload();

    void Reload()
    {
        try
        {
            dataset = Store.Find(Name);
        }
        catch (ArgumentException e)
        {
            (dataset, notFound) = (null, e.Message);
            return;
        }
        versions = Store.Versions(Name);
        mapping = Store.MappingOf(Name);
        newName = dataset.Name;
        rejected = Store.ImportErrors(dataset.Id).ToList();
        ShowPage(Math.Min(rowPage + 1, PageCount));
    }

    void ShowPage(int number)
    {
        rowPage = number - 1;
        page = Store.Rows(dataset!.Id).Skip(rowPage * PageSize).Take(PageSize).ToList();
    }

    async Task Delete()
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync(L["Delete dataset"],
            L["Delete '{0}' with its {1} version(s), its rejected rows and its original file? This cannot be undone.", dataset!.Name, versions.Count],
            yesText: L["Delete"], cancelText: L["Keep it"]);
        if (confirmed != true) return;
        try
        {
            Store.Delete(dataset.Name);
            Navigation.NavigateTo("datasets");
        }
        catch (InvalidOperationException e)
        {
            actionError = (L["Delete failed:"], e.Message);
        }
    }

    void Rename()
    {
        try
        {
            var renamed = Store.Rename(dataset!.Name, newName.Trim());
            Navigation.NavigateTo($"datasets/{Uri.EscapeDataString(renamed.Name)}");
            renaming = false;
            actionError = null;
        }
        catch (ArgumentException e)
        {
            actionError = (L["Rename failed:"], e.Message);
        }
    }

    async Task StartRemap()
    {
        remapConfirmed = false;
        await Preview(null);
    }

    async Task ChangeRemap(FieldMapping chosen) => await Preview(chosen);

    async Task Preview(FieldMapping? chosen)
    {
        try
        {
            remap = await Task.Run(() => Store.PreviewRemap(Name, chosen));
            actionError = null;
        }
        catch (Exception e) when (e is ArgumentException or SourceFormatException or MappingException or IOException)
        {
            actionError = (L["The original file cannot be re-mapped:"], e.Message);
        }
    }

    async Task SaveRemap()
    {
        try
        {
            await Task.Run(() => Store.Remap(Name, remap!.Mapping));
            (remap, remapConfirmed, actionError) = (null, false, null);
            Reload();
        }
        catch (Exception e) when (e is ArgumentException or SourceFormatException or MappingException or NothingImportedException or IOException)
        {
            actionError = (L["Re-map failed:"], e.Message);
        }
    }

    void Revert(int version)
    {
        Store.Revert(Name, version);
        Reload();
    }
}
