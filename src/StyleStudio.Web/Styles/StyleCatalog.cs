using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Evaluations;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Styles;

/// <summary>A style with what the Styles page shows beside it.</summary>
/// <param name="Rows">Rows of its dataset's current version that carry its label (0 without a dataset).</param>
/// <param name="Candidates">Adapters that could write it: runs trained on its rows, and adapters in the models folder.</param>
/// <param name="Problem">Why it cannot be served by name yet, or null.</param>
public sealed record StyleView(StyleRecord Style, long Rows, IReadOnlyList<AdapterCandidate> Candidates, string? Problem);

/// <summary>An adapter that could write a style, with what helps to choose: its layout and final validation loss.</summary>
/// <param name="ModelId">run-N or BASE:FOLDER.</param>
/// <param name="Layout">Which of the article's layouts trained it.</param>
public sealed record AdapterCandidate(string ModelId, string Name, StyleLayout Layout, double? ValidationLoss);

/// <summary>The article's two ways to train several styles: an adapter per style, or one adapter with the style in the instruction.</summary>
public enum StyleLayout { PerStyle, MultiTask, Other }

/// <summary>
/// Styles as the application sees them: defined by hand or found in a dataset, trained one run per style or as one
/// multi-task run, and pointed at the adapter that writes them best; served by name through the model directory.
/// </summary>
public sealed class StyleCatalog(DataStore store, TrainingRuns runs, GenerationService generation, EvaluationRuns evaluations)
{
    public IReadOnlyList<StyleView> All()
    {
        var models = generation.Models();
        var completed = store.Runs.All().Where(r => r.Status == RunStatus.Completed).ToList();
        var rowCounts = new Dictionary<string, Dictionary<string, long>>();
        return store.Styles.All().Select(style =>
        {
            long rows = 0;
            if (style.Dataset is { } dataset && store.Datasets().Any(d => d.Name == dataset))
            {
                if (!rowCounts.TryGetValue(dataset, out var counts))
                {
                    var summary = store.Find(dataset);
                    rowCounts[dataset] = counts = store.Rows(summary.Id, summary.Version).GroupBy(r => r.Style ?? "").ToDictionary(g => g.Key, g => (long)g.Count());
                }
                rows = counts.GetValueOrDefault(style.Label);
            }
            return new StyleView(style, rows, Candidates(style, completed, models), models.First(m => m.Id == style.Name).Problem);
        }).ToList();
    }

    List<AdapterCandidate> Candidates(StyleRecord style, IReadOnlyList<RunRecord> completed, IReadOnlyList<ServableModel> models)
    {
        var servable = models.Where(m => m.Problem is null && m.AdapterFolder is not null).Select(m => m.Id).ToHashSet();
        var candidates = completed
            .Where(r => servable.Contains($"run-{r.Id}") && (r.Style == style.Label || (r.Style is null && r.DatasetName == style.Dataset)))
            .Select(r => new AdapterCandidate($"run-{r.Id}", r.Name, r.Style is null ? StyleLayout.MultiTask : StyleLayout.PerStyle, ValidationLoss($"run-{r.Id}")))
            .ToList();
        candidates.AddRange(models.Where(m => m.Problem is null && m.AdapterFolder is not null && m.Id.Contains(':') && m.Id != style.Name)
            .Select(m => new AdapterCandidate(m.Id, m.Id, StyleLayout.Other, null)));
        return candidates;
    }

    /// <summary>The final validation loss of a run, for choosing between candidates (null when it kept no validation split).</summary>
    public double? ValidationLoss(string modelId) =>
        modelId.StartsWith("run-", StringComparison.Ordinal) && int.TryParse(modelId[4..], out int id)
            ? store.Runs.Metrics(id).LastOrDefault(m => m.EvalLoss is not null)?.EvalLoss : null;

    public StyleRecord Create(string name, string description, string instruction, string? dataset, string? label, StylePresets presets) =>
        store.Styles.Create(name, description, instruction, dataset, label, Check(presets));

    public StyleRecord Update(int id, string name, string description, string instruction, string? dataset, string? label, StylePresets presets) =>
        store.Styles.Update(id, name, description, instruction, dataset, label, Check(presets));

    public void Delete(int id) => store.Styles.Delete(id);

    /// <summary>Makes <paramref name="modelId"/> the style's adapter; it must be an adapter the studio can serve.</summary>
    public StyleRecord ChooseAdapter(int styleId, string? modelId)
    {
        if (modelId is not null && !generation.Models().Any(m => m.Id == modelId && m.AdapterFolder is not null && m.Problem is null && m.Instruction is null))
            throw new ArgumentException($"'{modelId}' is not an adapter the studio can serve");
        return store.Styles.SetAdapter(styleId, modelId);
    }

    /// <summary>
    /// Adds a style for every style label of <paramref name="dataset"/> that no style has yet, phrased with the label's
    /// most common instruction; returns the ones added.
    /// </summary>
    public IReadOnlyList<StyleRecord> FindIn(string dataset)
    {
        var summary = store.Find(dataset);
        var known = store.Styles.All();
        var added = new List<StyleRecord>();
        foreach (var group in store.Rows(summary.Id, summary.Version).Where(r => r.Style is not null).GroupBy(r => r.Style!).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (known.Any(s => s.Label == group.Key && s.Dataset == dataset) || known.Any(s => s.Name == group.Key)) continue;
            string instruction = group.GroupBy(r => r.Instruction.Trim()).MaxBy(g => g.Count())!.Key;
            added.Add(store.Styles.Create(group.Key, "", instruction, dataset, group.Key));
        }
        return added;
    }

    /// <summary>
    /// Queues the runs that train <paramref name="styles"/> of <paramref name="dataset"/>: one per style (each on its rows
    /// only) and/or one multi-task run on all rows. Returns them in that order.
    /// </summary>
    public IReadOnlyList<RunRecord> TrainEach(string dataset, IReadOnlyList<StyleRecord> styles, string model, RunRequest settings,
        bool perStyle, bool multiTask)
    {
        if (!perStyle && !multiTask) throw new ArgumentException("choose a layout: a run per style, one multi-task run, or both");
        if (styles.Count == 0) throw new ArgumentException($"no styles of {dataset} chosen");
        var started = new List<RunRecord>();
        if (perStyle)
            foreach (var style in styles)
                started.Add(runs.Start($"{style.Name} · {dataset}", dataset, model, settings, style.Label));
        if (multiTask)
            started.Add(runs.Start($"{string.Join(" + ", styles.Select(s => s.Name))} · {dataset}", dataset, model, settings));
        return started;
    }

    /// <summary>
    /// Queues, for every style of <paramref name="dataset"/> that has both, an evaluation of its newest per-style adapter
    /// and one of the newest multi-task adapter on the same rows of that style: the comparison of the two layouts.
    /// Returns the evaluations (compare them on the evaluation compare page).
    /// </summary>
    public IReadOnlyList<EvaluationRecord> CompareLayouts(string dataset, int rowsPerStyle, int maxNewTokens = 128)
    {
        var styles = store.Styles.All().Where(s => s.Dataset == dataset).ToList();
        var completed = store.Runs.All().Where(r => r.Status == RunStatus.Completed && r.DatasetName == dataset).ToList();   // newest first
        var multiTask = completed.FirstOrDefault(r => r.Style is null)
            ?? throw new ArgumentException($"no finished multi-task run on {dataset} yet");
        var queued = new List<EvaluationRecord>();
        foreach (var style in styles)
        {
            if (completed.FirstOrDefault(r => r.Style == style.Label) is not { } perStyle) continue;
            foreach (var run in new[] { perStyle, multiTask })
                queued.Add(evaluations.Start(new EvaluationSettings(dataset, $"run-{run.Id}", null, rowsPerStyle, maxNewTokens, Style: style.Label)));
        }
        if (queued.Count == 0) throw new ArgumentException($"no style of {dataset} has a finished per-style run yet");
        return queued;
    }

    static StylePresets Check(StylePresets presets)
    {
        if (presets.Temperature is < 0 or > 2 || double.IsNaN(presets.Temperature)) throw new ArgumentException($"temperature must be between 0 and 2; got {presets.Temperature}");
        if (presets.TopP is <= 0 or > 1 || double.IsNaN(presets.TopP)) throw new ArgumentException($"top-p must be greater than 0 and at most 1; got {presets.TopP}");
        if (presets.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be at least 1; got {presets.MaxNewTokens}");
        if (presets.Strength is < 0 or > 2 || double.IsNaN(presets.Strength)) throw new ArgumentException($"strength must be between 0 and 2; got {presets.Strength}");
        return presets;
    }
}
