using StyleStudio.Data.Storage;
using StyleStudio.Models.Local;
using StyleStudio.Training.Adapters;

namespace StyleStudio.Serving;

/// <summary>
/// What the studio serves: every base model folder (by its name); every completed run's adapter as <c>run-N</c> on the
/// base it was trained from, prompted through the template it was trained with; and every PEFT adapter folder in the
/// models folder (trained anywhere) as <c>BASE:FOLDER</c>.
/// </summary>
public sealed class StudioModelDirectory(Func<string> modelsFolder, DataStore store) : IModelDirectory
{
    public IReadOnlyList<ServableModel> List()
    {
        var local = new LocalModels(modelsFolder());
        var bases = local.ModelFolders().ToDictionary(e => e.Name, e => e.Path);
        var models = bases.Select(b => new ServableModel(b.Key, b.Key, b.Value)).ToList();
        foreach (var run in store.Runs.All().Where(r => r.Status == RunStatus.Completed && r.Settings.FinetuningType == "lora"))
        {
            string? problem = !bases.ContainsKey(run.Model) ? $"its base '{run.Model}' is not in the models folder"
                : !File.Exists(Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)) ? $"its adapter is missing from {run.OutputDir}"
                : null;
            models.Add(new ServableModel($"run-{run.Id}", run.Model, bases.GetValueOrDefault(run.Model, ""), run.OutputDir,
                run.Settings.Template, run.DatasetName, problem));
        }
        foreach (var adapter in local.Adapters())
            models.Add(new ServableModel(adapter.Id, adapter.BaseName ?? "?", adapter.BaseName is { } name ? bases.GetValueOrDefault(name, "") : "",
                adapter.Path, Problem: adapter.Problem));
        return models;
    }
}
