using StyleStudio.Application.Runs;
using StyleStudio.Data.Storage;
using StyleStudio.Models.Local;
using StyleStudio.Training.Adapters;

namespace StyleStudio.Serving;

/// <summary>
/// What the studio serves: every base model folder (by its name); every completed run's adapter as <c>run-N</c> on the
/// base it was trained from, prompted through the template it was trained with; and every PEFT adapter folder in the
/// models folder (trained anywhere) as <c>BASE:FOLDER</c>; and every style by its name, as its chosen adapter with the
/// style's phrasing and presets.
/// </summary>
public sealed class StudioModelDirectory(Func<string> modelsFolder, DataStore store) : IModelDirectory
{
    public IReadOnlyList<ServableModel> List()
    {
        var local = new LocalModels(modelsFolder());
        var bases = local.ModelFolders().ToDictionary(e => e.Name, e => e.Path);
        var models = bases.Select(b => new ServableModel(b.Key, b.Key, b.Value)).ToList();
        foreach (var run in store.Runs.All().Where(r => r.Status == RunStatus.Completed && r.Settings.TrainsAdapters))
        {
            string? problem = !bases.ContainsKey(run.Model) ? $"its base '{run.Model}' is not in the models folder"
                : !File.Exists(Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)) ? $"its adapter is missing from {run.OutputDir}"
                : null;
            models.Add(new ServableModel($"run-{run.Id}", run.Model, bases.GetValueOrDefault(run.Model, ""), run.OutputDir,
                run.Settings.Template, run.Style ?? run.DatasetName, problem));
        }
        foreach (var adapter in local.Adapters())
            models.Add(new ServableModel(adapter.Id, adapter.BaseName ?? "?", adapter.BaseName is { } name ? bases.GetValueOrDefault(name, "") : "",
                adapter.Path, Problem: adapter.Problem));
        models.AddRange(store.Styles.All().Select(style => Styled(style, models)).ToList());
        return models;
    }

    /// <summary>A style as a model id: its adapter's entry under the style's name, phrasing and presets.</summary>
    static ServableModel Styled(StyleRecord style, IReadOnlyList<ServableModel> models)
    {
        var adapter = style.Adapter is null ? null : models.FirstOrDefault(m => m.Id == style.Adapter);
        string? problem = style.Adapter is null ? "no adapter chosen for this style yet (choose one on the Styles page)"
            : adapter is null ? $"its adapter '{style.Adapter}' is no longer available"
            : adapter.Problem;
        return (adapter ?? new ServableModel(style.Name, "?", "")) with
        {
            Id = style.Name, Style = style.Label, Problem = problem, Instruction = style.Instruction, Presets = style.Presets,
        };
    }
}
