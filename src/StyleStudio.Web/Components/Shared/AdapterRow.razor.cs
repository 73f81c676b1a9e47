using Microsoft.AspNetCore.Components;
using StyleStudio.Models.Local;

namespace StyleStudio.Web.Components.Shared;

public partial class AdapterRow
{
    /// <summary>The adapter shown. Required.</summary>
    [Parameter, EditorRequired] public LocalAdapter Adapter { get; set; } = null!;

    /// <summary>The table's column count, which the row spans (at least 3). Defaults to 3.</summary>
    [Parameter] public int Columns { get; set; } = 3;
}
