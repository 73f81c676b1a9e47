using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
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

    [Inject] IStringLocalizer<MappingStep> L { get; set; } = null!;

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
            string scope = Preview.WholeFile
                ? L["all {0} rows of the file", Preview.Checked.ToString("N0")]
                : L["the first {0} rows of the file (a sample)", Preview.Checked.ToString("N0")];
            return Preview.Rejected == 0
                ? L["None of {0} would be rejected.", scope]
                : L["{0} of {1} would be rejected:", Preview.Rejected.ToString("N0"), scope];
        }
    }

    Task ChangeField(string field, string column) => MappingChanged.InvokeAsync(Preview.Mapping.WithField(field, column == None ? null : column));

    Task ChangeShape(RowShape shape) => MappingChanged.InvokeAsync(Preview.Mapping with { Shape = shape });

    Task Swap() => MappingChanged.InvokeAsync(Preview.Mapping.Swapped());

    /// <summary>The label of the column choice for <paramref name="field"/>, one of <see cref="VisibleFields"/>.</summary>
    string ColumnLabel(string field) => field switch
    {
        "instruction" => L["Instruction column"],
        "input" => L["Input column"],
        "output" => L["Output column"],
        "system" => L["System column"],
        "style" => L["Style column"],
        "history" => L["History column"],
        "messages" => L["Messages column"],
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "no label for this field"),
    };

    string ShapeName(RowShape shape) => shape switch
    {
        RowShape.Columns => L["columns (alpaca)"],
        RowShape.ShareGpt => L["sharegpt conversations"],
        _ => L["OpenAI messages"],
    };

    /// <summary>The first rows a rejection reason applies to, "…" when there are more.</summary>
    static string RowList(RejectionGroup reason) =>
        string.Join(", ", reason.FirstRows) + (reason.Count > reason.FirstRows.Count ? ", …" : "");

    static string? Short(string? text) => text is { Length: > ShortText } ? text[..ShortText] + "…" : text;
}
