using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;

namespace StyleStudio.Web.Components.Datasets;

/// <summary>
/// The mapping step: a file's first rows as read, the detected shape and confidence, a column choice per target field,
/// swap input/output, the first rows as they would be imported and what would be rejected. Used for uploads and for
/// re-mapping a stored dataset; the host recomputes <see cref="Preview"/> when the mapping changes.
/// </summary>
public partial class MappingStep
{
    const string None = "";
    const int ShortText = 120;

    /// <summary>The preview to show. Required.</summary>
    [Parameter, EditorRequired] public MappingPreview Preview { get; set; } = null!;

    /// <summary>Raised with the mapping the user chose (a column for a field, a shape, or input and output swapped).</summary>
    [Parameter] public EventCallback<FieldMapping> MappingChanged { get; set; }

    /// <summary>Whether the user ticked "I have checked the mapping" (asked for below 90 % confidence). Defaults to false.</summary>
    [Parameter] public bool Confirmed { get; set; }

    /// <summary>Raised when the confirmation box is ticked or cleared.</summary>
    [Parameter] public EventCallback<bool> ConfirmedChanged { get; set; }

    IEnumerable<string> VisibleFields => Preview.Mapping.Shape == RowShape.Columns
        ? FieldMapping.Fields
        : ["messages", "system", "style"];

    string RejectionSummary
    {
        get
        {
            string scope = Preview.WholeFile ? $"all {Preview.Checked:N0} rows of the file" : $"the first {Preview.Checked:N0} rows of the file (a sample)";
            return Preview.Rejected == 0
                ? $"None of {scope} would be rejected."
                : $"{Preview.Rejected:N0} of {scope} would be rejected:";
        }
    }

    Task ChangeField(string field, string column) => MappingChanged.InvokeAsync(Preview.Mapping.WithField(field, column == None ? null : column));

    Task ChangeShape(RowShape shape) => MappingChanged.InvokeAsync(Preview.Mapping with { Shape = shape });

    Task Swap() => MappingChanged.InvokeAsync(Preview.Mapping.Swapped());

    static string Title(string field) => char.ToUpperInvariant(field[0]) + field[1..];

    static string ShapeName(RowShape shape) => shape switch
    {
        RowShape.Columns => "columns (alpaca)",
        RowShape.ShareGpt => "sharegpt conversations",
        _ => "OpenAI messages",
    };

    static string? Short(string? text) => text is { Length: > ShortText } ? text[..ShortText] + "…" : text;
}
