using System.Text;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Microsoft.Net.Http.Headers;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// A <c>POST /api/v1/datasets</c> body read as it streams: the <c>file</c> part goes straight into a
/// <see cref="PendingUpload"/> (as the Datasets page receives a browser's file, so a gigabyte file is never held in memory
/// or copied twice), the text parts into <see cref="Fields"/>. Parts may come in any order.
/// </summary>
sealed class DatasetUploadForm : IDisposable
{
    /// <summary>The text parts a request may carry — the name, the mapping step's column per field and shape, and format
    /// hints — with what each means, for the OpenAPI document.</summary>
    public static readonly IReadOnlyDictionary<string, string> TextParts = new Dictionary<string, string>
    {
        ["name"] = "The dataset's name. Defaults to the file's name without its extension.",
        ["instruction"] = "The column holding the instruction (columns shape).",
        ["input"] = "The column holding the input text (columns shape).",
        ["output"] = "The column holding the answer: the text in the target style.",
        ["system"] = "The column holding a system prompt.",
        ["style"] = "The column holding each row's style label.",
        ["history"] = "The column holding earlier turns as [question, answer] pairs (alpaca's history).",
        ["messages"] = "The column holding the conversation (sharegpt and openai_messages shapes).",
        ["shape"] = "How rows hold their examples: columns, sharegpt or openai_messages. Detected when absent.",
        ["format"] = "jsonl, json, csv, tsv, xlsx or parquet. Detected from the file's extension when absent.",
        ["encoding"] = "utf-8, utf-16le, utf-16be, gb18030 or gbk. Detected when absent.",
        ["fixed_style"] = "A style label for every row without one of its own.",
    };

    const int MaxTextPartBytes = 64 * 1024;

    public PendingUpload? File { get; private set; }
    public Dictionary<string, string> Fields { get; } = [];

    /// <summary>The form, or the field that makes it unusable and why (an unknown part, a second file, an oversized value).</summary>
    public static async Task<(DatasetUploadForm? Form, string? Field, string? Problem)> ReadAsync(HttpRequest request, DatasetImports imports)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) return (null, "body", "the multipart body has no boundary in its Content-Type");
        var form = new DatasetUploadForm();
        try
        {
            var reader = new MultipartReader(boundary, request.Body);
            while (await reader.ReadNextSectionAsync(request.HttpContext.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || disposition.Name.Value is not { } name)
                    return form.Refuse("body", "a part of the multipart body has no Content-Disposition name");
                name = HeaderUtilities.RemoveQuotes(name).Value!;
                if (name == "file")
                {
                    if (form.File is not null) return form.Refuse("file", "send one file per upload");
                    string fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                    if (fileName.Length == 0) return form.Refuse("file", "the file part needs a file name (its extension tells the format unless 'format' is given)");
                    form.File = await imports.ReceiveAsync(section.Body, fileName, null, new Progress<ImportProgress>(), request.HttpContext.RequestAborted);
                }
                else if (TextParts.ContainsKey(name))
                {
                    var text = await ReadTextAsync(section.Body, request.HttpContext.RequestAborted);
                    if (text is null) return form.Refuse(name, $"the value is longer than {MaxTextPartBytes:N0} bytes");
                    if (text.Length > 0) form.Fields[name] = text;
                }
                else return form.Refuse(name, $"not a part this endpoint takes; send file and any of {string.Join(", ", TextParts.Keys)}");
            }
            return (form, null, null);
        }
        catch
        {
            form.Dispose();
            throw;
        }
    }

    (DatasetUploadForm?, string?, string?) Refuse(string field, string problem)
    {
        Dispose();
        return (null, field, problem);
    }

    /// <summary>The part's UTF-8 text, or null when it exceeds the limit (a column name or a dataset name is short).</summary>
    static async Task<string?> ReadTextAsync(Stream body, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > MaxTextPartBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).Trim();
    }

    public string? this[string field] => Fields.GetValueOrDefault(field);

    /// <summary>The form as the OpenAPI document describes it: the endpoint reads the parts itself, so none is inferred.</summary>
    public static Task Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        var parts = new Dictionary<string, IOpenApiSchema>
        {
            ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The file to import: .jsonl, .json, .csv, .tsv, .xlsx or .parquet." },
        };
        foreach (var (part, description) in TextParts) parts[part] = new OpenApiSchema { Type = JsonSchemaType.String, Description = description };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["multipart/form-data"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = parts, Required = new HashSet<string> { "file" } } },
            },
        };
        return Task.CompletedTask;
    }

    /// <summary>Deletes the scratch copy of the file, if it is still there (a successful import has already taken it).</summary>
    public void Dispose() => File?.Dispose();
}
