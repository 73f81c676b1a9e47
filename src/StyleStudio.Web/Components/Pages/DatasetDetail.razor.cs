using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Components.Pages;

/// <summary>One dataset: its rows page by page, prompt preview, cleaning, versions and the rows its import rejected.</summary>
public partial class DatasetDetail
{
    const int PageSize = 25;

    [Inject] DataStore Store { get; set; } = null!;

    /// <summary>The dataset's name, from the route.</summary>
    [Parameter] public string Name { get; set; } = "";

    DatasetSummary? dataset;
    string? notFound;
    IReadOnlyList<DatasetRow> page = [];
    int rowPage;
    IReadOnlyList<DatasetVersion> versions = [];
    IReadOnlyList<RowError> rejected = [];

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
        rejected = Store.ImportErrors(dataset.Id).ToList();
        ShowPage(Math.Min(rowPage + 1, PageCount));
    }

    void ShowPage(int number)
    {
        rowPage = number - 1;
        page = Store.Rows(dataset!.Id).Skip(rowPage * PageSize).Take(PageSize).ToList();
    }

    void Revert(int version)
    {
        Store.Revert(Name, version);
        Reload();
    }
}
