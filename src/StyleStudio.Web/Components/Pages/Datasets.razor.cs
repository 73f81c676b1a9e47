using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Pages;

/// <summary>The dataset list and the upload form that adds to it.</summary>
public partial class Datasets
{
    const string Detect = "";
    const string Accepted = ".json,.jsonl,.csv,.tsv,.xlsx,.parquet";
    /// <summary>Uploads beyond this are refused by the browser stream (Blazor's default is 500 KB).</summary>
    const long MaximumUpload = 4L << 30;
    static readonly IReadOnlyList<string> Encodings = TextEncodings.Names;

    [Inject] DataStore Store { get; set; } = null!;
    [Inject] DatasetImports Imports { get; set; } = null!;

    IReadOnlyList<DatasetSummary> datasets = [];
    MudFileUpload<IBrowserFile>? upload;
    IBrowserFile? file;
    string name = "", style = "", encoding = Detect;
    bool importing;
    ImportProgress? progress;
    string? error;
    ImportReport? lastReport;
    string? lastName;

    double Percent => progress is { Total: > 0 } p ? 100.0 * p.Done / p.Total.Value : 0;

    protected override void OnInitialized() => datasets = Store.Datasets();

    void Choose(IBrowserFile? chosen)
    {
        file = chosen;
        if (chosen is not null && name.Length == 0) name = Path.GetFileNameWithoutExtension(chosen.Name);
        error = null;
    }

    async Task Import()
    {
        if (file is null) return;
        importing = true;
        error = null;
        lastReport = null;
        // Progress arrives on the import's threads; rendering is marshalled to this circuit.
        var report = new Progress<ImportProgress>(p => InvokeAsync(() => { progress = p; StateHasChanged(); }));
        try
        {
            var options = new ImportOptions(Encoding: encoding == Detect ? null : encoding, Style: style.Length > 0 ? style : null);
            DatasetSummary dataset;
            ImportReport result;
            await using (var stream = file.OpenReadStream(MaximumUpload))
                (dataset, result) = await Imports.ImportAsync(stream, file.Name, file.Size, name.Trim(), options, report, CancellationToken.None);
            (lastReport, lastName) = (result, dataset.Name);
            (file, name, style) = (null, "", "");
            if (upload is not null) await upload.ClearAsync();
            datasets = Store.Datasets();
        }
        catch (Exception e) when (e is ArgumentException or SourceFormatException or MappingException or IOException or NotSupportedException)
        {
            error = e.Message;
        }
        finally
        {
            importing = false;
        }
    }
}
