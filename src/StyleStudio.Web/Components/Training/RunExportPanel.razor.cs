using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Models.Download;
using StyleStudio.Training.Export.Gguf;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Training;

/// <summary>
/// The run page's export to GGUF: the type chosen here, the export's state as <see cref="RunExports"/> publishes it
/// (live, no polling), its downloads once done. The exporter's stages arrive in English; this panel words them.
/// </summary>
public partial class RunExportPanel : IDisposable
{
    [Inject] RunExports Exports { get; set; } = null!;
    [Inject] IStringLocalizer<RunExportPanel> L { get; set; } = null!;

    /// <summary>The completed run to export. Required.</summary>
    [Parameter, EditorRequired] public int RunId { get; set; }

    /// <summary>The chosen type by name (f16 … q4_k_m), as the CLI's --type takes it.</summary>
    string type = GgufExportType.Q4_K_M.Name();
    ExportState? state;
    string? error;
    IDisposable? subscription;

    bool Running => state is { Done: false };

    protected override void OnParametersSet()
    {
        subscription?.Dispose();
        subscription = Exports.Updates.Subscribe(update =>
        {
            if (update.RunId == RunId) InvokeAsync(() => { state = update; StateHasChanged(); });
        });
        state = Exports.State(RunId);
        if (state is not null) type = state.Type.Name();
    }

    void Export()
    {
        try
        {
            state = Exports.Start(RunId, GgufExportTypes.Parse(type));
            error = null;
        }
        catch (InvalidOperationException e)
        {
            error = e.Message;
        }
    }

    string Describe(GgufExportType option) => option switch
    {
        GgufExportType.F16 => L["16-bit, exact"],
        GgufExportType.BF16 => L["16-bit bfloat, exact range"],
        GgufExportType.Q8_0 => L["8-bit, near-exact, half the size"],
        GgufExportType.Q4_0 => L["4-bit, smallest, loses most"],
        _ => L["4-bit k-quant, the usual choice"],
    };

    /// <summary>The exporter's stage in the reader's language.</summary>
    string Stage(ExportState s) =>
        s.Stage.StartsWith("merging", StringComparison.Ordinal) ? L["Merging the adapter into the base…"]
        : s.Stage.StartsWith("writing", StringComparison.Ordinal) ? L["Writing tensors: {0} of {1}…", s.TensorsDone, s.TensorCount]
        : s.Stage.StartsWith("quantizing", StringComparison.Ordinal) ? L["Quantizing to {0} with llama.cpp…", s.Type.Name()]
        : L["Starting…"];

    /// <summary>A name for `ollama create`: the file's name without extension, lower case (Ollama's naming rule).</summary>
    static string ModelName(ExportState s) => Path.GetFileNameWithoutExtension(s.File).ToLowerInvariant();

    public void Dispose() => subscription?.Dispose();
}
