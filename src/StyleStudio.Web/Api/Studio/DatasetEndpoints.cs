using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// <c>/api/v1/datasets</c>: upload a file as a dataset, with the Datasets page's mapping step as form fields, and list
/// what is stored — through the page's own <see cref="DatasetImports"/> and <see cref="DataStore"/>.
/// </summary>
public static class DatasetEndpoints
{
    /// <summary>Rejected rows listed in an answer; the dataset's rejection report keeps them all.</summary>
    public const int ListedRejections = 100;

    /// <summary>The largest file accepted, as on the Datasets page.</summary>
    const long MaxUploadBytes = 4L << 30;

    static readonly string[] ColumnFields = ["instruction", "input", "output", "system", "style", "history", "messages"];

    public static void MapDatasets(this RouteGroupBuilder api)
    {
        var datasets = api.MapGroup("/datasets").WithTags("Datasets");
        datasets.MapGet("", List).WithName("ListDatasets").WithSummary("List datasets")
            .WithDescription("Every dataset, in order of creation, at its current version.");
        datasets.MapPost("", UploadAsync).WithName("UploadDataset").WithSummary("Upload a file as a dataset")
            .WithDescription("multipart/form-data: `file` (.jsonl, .json, .csv, .tsv, .xlsx or .parquet) and optionally `name` (defaults to the " +
                             "file's name without extension); the mapping step's columns: `instruction`, `input`, `output`, `system`, " +
                             "`style`, `history`, `messages` (each the name of a column in the file; the rest stay as detected) and " +
                             "`shape` (columns, sharegpt, openai_messages); hints: `format` (jsonl, json, csv, tsv, xlsx, parquet), " +
                             "`encoding` (utf-8, utf-16le, utf-16be, gb18030, gbk) and `fixed_style` (a style for rows without one). " +
                             "Rows that cannot be mapped are rejected and reported (row, field, reason), never dropped silently. When " +
                             "the detected mapping is a guess (confidence below 90 %) and no column is given, nothing is stored and the " +
                             "answer is 422 with the detected mapping, as the page asks for confirmation.")
            .AddOpenApiOperationTransformer(DatasetUploadForm.Describe)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .DisableAntiforgery();
        datasets.MapGet("/{name}", Get).WithName("GetDataset").WithSummary("A dataset with its mapping, versions and rejections");
    }

    static Ok<List<DatasetView>> List(DataStore store) => TypedResults.Ok(store.Datasets().Select(DatasetView.Of).ToList());

    static Results<Ok<DatasetDetail>, ProblemHttpResult> Get(string name, DataStore store)
    {
        if (store.Datasets().FirstOrDefault(d => d.Name == name) is not { } dataset)
            return StudioProblems.NotFound($"no dataset named '{name}' (GET /api/v1/datasets lists them)");
        var versions = store.Versions(name).Select(v => new DatasetVersionView(v.Number, v.Parent, v.Steps, v.Rows, v.CreatedUtc, v.Note)).ToList();
        return TypedResults.Ok(new DatasetDetail(DatasetView.Of(dataset), store.MappingOf(name), versions,
            store.ImportErrors(dataset.Id).Take(ListedRejections).Select(RowRejection.Of).ToList()));
    }

    static async Task<Results<Created<DatasetUploadResult>, ValidationProblem, ProblemHttpResult>> UploadAsync(HttpContext http,
        DataStore store, DatasetImports imports)
    {
        if (!http.Request.HasFormContentType || !http.Request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return StudioProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Send multipart/form-data",
                $"upload the file as multipart/form-data with a 'file' part (got {http.Request.ContentType ?? "no content type"})", "unsupported_media_type");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = MaxUploadBytes;
        var (form, field, problem) = await DatasetUploadForm.ReadAsync(http.Request, imports);
        if (form is null) return StudioProblems.Invalid(field!, problem!);
        using (form)
        {
            if (form.File is not { } file) return StudioProblems.Invalid("file", "attach the file to import as the 'file' part");
            string name = form["name"] ?? Path.GetFileNameWithoutExtension(file.FileName);
            try
            {
                DatasetNames.Check(name);
            }
            catch (ArgumentException e)
            {
                return StudioProblems.Invalid("name", e.Message);
            }
            if (store.Datasets().Any(d => d.Name == name))
                return StudioProblems.Problem(StatusCodes.Status409Conflict, "The name is taken",
                    $"a dataset named '{name}' already exists; choose another name", "dataset_exists");

            var options = new ImportOptions(Encoding: form["encoding"], Style: form["fixed_style"]);
            if (form["format"] is { } format)
            {
                try
                {
                    options = options with { Format = SourceFormats.Parse(format) };
                }
                catch (ArgumentException e)
                {
                    return StudioProblems.Invalid("format", e.Message);
                }
            }
            if (options.Encoding is { } encoding && !TextEncodings.Names.Contains(encoding.ToLowerInvariant()))
                return StudioProblems.Invalid("encoding", $"unknown encoding '{encoding}'; choose from {string.Join(", ", TextEncodings.Names)}");

            MappingPreview preview;
            try
            {
                preview = await imports.PreviewAsync(file, options);
            }
            catch (Exception e) when (Unreadable(e))
            {
                return StudioProblems.Invalid("file", e.Message);
            }
            var (mapping, mappingProblem) = Mapping(preview, form);
            if (mappingProblem is not null) return mappingProblem;
            if (mapping is null && preview.NeedsConfirmation)
                return StudioProblems.Problem(StatusCodes.Status422UnprocessableEntity, "Confirm the mapping",
                    $"the detected mapping ({preview.Detected.Mapping}) is a guess ({preview.Detected.Confidence:P0}: {preview.Detected.Reason}); " +
                    $"send the columns as form fields (instruction, input, output, …) to import. Columns found: {string.Join(", ", preview.Columns)}",
                    "mapping_unconfirmed");
            try
            {
                var (dataset, report) = await imports.ImportAsync(file, name, options with { Mapping = mapping }, new Progress<ImportProgress>(),
                    http.RequestAborted);
                return TypedResults.Created($"/api/v1/datasets/{Uri.EscapeDataString(dataset.Name)}", DatasetUploadResult.Of(dataset, report));
            }
            catch (NothingImportedException e)
            {
                return StudioProblems.Problem(StatusCodes.Status422UnprocessableEntity, "Nothing to import", e.Message, "nothing_imported");
            }
            catch (Exception e) when (Unreadable(e))
            {
                return StudioProblems.Invalid("file", e.Message);
            }
        }
    }

    /// <summary>
    /// The mapping the request chose, or null when it named no column (the detected mapping applies, as on the page
    /// before any dropdown is touched). Columns given make the whole mapping — a detected guess does not linger in a field
    /// the client left out — and a column the file lacks is refused here, naming the field.
    /// </summary>
    static (FieldMapping? Mapping, ValidationProblem? Problem) Mapping(MappingPreview preview, DatasetUploadForm form)
    {
        var given = ColumnFields.Where(field => form[field] is not null).ToList();
        if (given.Count == 0 && form["shape"] is null) return (null, null);
        var shape = form["messages"] is null ? RowShape.Columns
            : preview.Detected.Mapping.Shape == RowShape.Columns ? RowShape.OpenAiMessages : preview.Detected.Mapping.Shape;
        if (form["shape"] is { } named && !Enum.TryParse(named.Replace("_", ""), ignoreCase: true, out shape))
            return (null, StudioProblems.Invalid("shape", $"unknown shape '{named}'; choose from columns, sharegpt, openai_messages"));
        var mapping = given.Count == 0 ? preview.Detected.Mapping with { Shape = shape } : new FieldMapping { Shape = shape };
        foreach (var field in given)
        {
            string column = form[field]!;
            if (!preview.Columns.Contains(column))
                return (null, StudioProblems.Invalid(field, $"the file has no column '{column}'; its columns: {string.Join(", ", preview.Columns)}"));
            mapping = mapping.WithField(field, column);
        }
        if (mapping.Problem() is not { } problem) return (mapping, null);
        string missing = mapping.Shape != RowShape.Columns ? "messages" : mapping.Output is null ? "output" : "instruction";
        return (null, StudioProblems.Invalid(missing, $"{problem} (mapping: {mapping}); columns: {string.Join(", ", preview.Columns)}"));
    }

    /// <summary>The failures that say the file (or how it was to be read) is at fault — what the page shows as "cannot be imported".</summary>
    static bool Unreadable(Exception e) => e is ArgumentException or SourceFormatException or MappingException or ImportLimitException
        or IOException or NotSupportedException;
}
