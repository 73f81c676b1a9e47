using System.Globalization;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Web.Training;

/// <summary>What a run page summarises of a run's settings, and how two runs (or more) differ in them.</summary>
public enum RunSetting
{
    Method, Model, Dataset, Template, Rank, Alpha, Dropout, Targets, LearningRate, Schedule, Epochs, MaxSteps, Batch,
    Cutoff, Packing, Checkpointing, Seed, Device, Precision,
}

/// <summary>
/// A run's settings as display values (formatted in the current culture), and the settings in which runs differ — the
/// run page's summary and "compare with" table. Pure: the page only translates the setting names.
/// </summary>
public static class RunSettingsTable
{
    /// <summary>Every setting of <paramref name="run"/> with its value; adapter settings only for LoRA-style runs.</summary>
    public static IReadOnlyList<(RunSetting Setting, string Value)> Of(RunRecord run)
    {
        var s = run.Settings;
        var rows = new List<(RunSetting, string)>
        {
            (RunSetting.Method, Method(run)),
            (RunSetting.Model, run.Model),
            (RunSetting.Dataset, $"{run.DatasetName} v{run.DatasetVersion}"),
            (RunSetting.Template, s.Template),
        };
        if (s.TrainsAdapters)
        {
            rows.Add((RunSetting.Rank, s.LoraRank.ToString("N0")));
            rows.Add((RunSetting.Alpha, s.EffectiveLoraAlpha.ToString("G")));
            rows.Add((RunSetting.Dropout, s.LoraDropout.ToString("G")));
            rows.Add((RunSetting.Targets, string.Join(",", s.LoraTarget)));
        }
        rows.Add((RunSetting.LearningRate, s.LearningRate.ToString("G")));
        rows.Add((RunSetting.Schedule, TrainConfig.Word(s.LrScheduler)));
        rows.Add((RunSetting.Epochs, s.NumTrainEpochs.ToString("G")));
        rows.Add((RunSetting.MaxSteps, s.MaxSteps?.ToString("N0") ?? "—"));
        rows.Add((RunSetting.Batch, $"{s.PerDeviceTrainBatchSize.ToString("N0")} × {s.GradientAccumulationSteps.ToString("N0")}"));
        rows.Add((RunSetting.Cutoff, s.CutoffLen.ToString("N0")));
        rows.Add((RunSetting.Packing, s.Packing ? "✓" : "✗"));
        rows.Add((RunSetting.Checkpointing, !s.GradientCheckpointing ? "✗" : s.OffloadCheckpoints ? "✓ → CPU" : "✓"));
        rows.Add((RunSetting.Seed, s.Seed.ToString(CultureInfo.CurrentCulture)));
        rows.Add((RunSetting.Device, s.Devices.Count > 0 ? string.Join(",", s.Devices.Select(i => $"cuda:{i}")) : TrainConfig.Word(s.Device)));
        rows.Add((RunSetting.Precision, s.QuantizationBit is { } bits ? $"{s.DtypeName}, {bits}-bit" : s.DtypeName));
        return rows;
    }

    /// <summary>The settings whose values are not the same in every run, with each run's value (— where a run has none).</summary>
    public static IReadOnlyList<(RunSetting Setting, IReadOnlyList<string> Values)> Differences(IReadOnlyList<RunRecord> runs)
    {
        var tables = runs.Select(run => Of(run).ToDictionary(row => row.Setting, row => row.Value)).ToList();
        return Enum.GetValues<RunSetting>()
            .Select(setting => (setting, Values: (IReadOnlyList<string>)tables.Select(t => t.GetValueOrDefault(setting, "—")).ToList()))
            .Where(row => row.Values.Distinct().Count() > 1)
            .ToList();
    }

    /// <summary>LoRA, DoRA, rsLoRA, QLoRA, full or freeze, as the training form names them.</summary>
    public static string Method(RunRecord run)
    {
        var s = run.Settings;
        return s.FineTuning switch
        {
            FineTuningType.Full => "full",
            FineTuningType.Freeze => $"freeze ({s.FreezeTrainableLayers})",
            _ => (s.QuantizationBit == 4 ? "QLoRA" : "LoRA") + (s.UseDora ? " + DoRA" : "") + (s.UseRslora ? " + rsLoRA" : ""),
        };
    }
}
