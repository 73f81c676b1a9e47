using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Training;

/// <summary>A run's estimated peak memory, in parts, and training time, saying which memory the figure describes.</summary>
public partial class RunEstimatePanel
{
    [Inject] IStringLocalizer<RunEstimatePanel> L { get; set; } = null!;

    /// <summary>The estimate to show; null shows <see cref="Error"/> or nothing. Defaults to null.</summary>
    [Parameter] public RunForecast? Forecast { get; set; }

    /// <summary>Why there is no estimate (an error from reading the model). Defaults to null.</summary>
    [Parameter] public string? Error { get; set; }

    string MeasureName(MemoryMeasure measure) => measure == MemoryMeasure.GpuMemory
        ? L["GPU memory in use, as nvidia-smi shows it"]
        : L["CPU: the studio process's resident memory, as the run reports it"];

    string OverheadName(MemoryMeasure measure, string bytes) => measure == MemoryMeasure.GpuMemory
        ? L["CUDA context {0}", bytes]
        : L["studio process and libtorch runtime {0}", bytes];

    string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => L["{0} GiB", (bytes / (double)(1L << 30)).ToString("N1", CultureInfo.CurrentCulture)],
        >= 1L << 20 => L["{0} MiB", (bytes / (double)(1L << 20)).ToString("N1", CultureInfo.CurrentCulture)],
        _ => L["{0} KiB", (bytes / 1024.0).ToString("N1", CultureInfo.CurrentCulture)],
    };

    string Duration(TimeSpan time) => time.TotalHours >= 1
        ? L["about {0} h {1} min", (int)time.TotalHours, time.Minutes]
        : time.TotalMinutes >= 1 ? L["about {0} min", (int)Math.Round(time.TotalMinutes)] : L["under a minute"];
}
