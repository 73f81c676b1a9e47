using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;

namespace StyleStudio.Models.Local;

/// <summary>
/// Reads what an adapter folder is — its base, rank, alpha, DoRA, targets — through <see cref="PeftAdapter"/>'s own config
/// reader (so the list says "loads" exactly when loading would accept the config), and finds its local base by name.
/// </summary>
public static class AdapterInspector
{
    /// <summary>A folder holding adapter_config.json and no config.json: an adapter, not a model of its own.</summary>
    public static bool IsAdapterFolder(string folder) =>
        File.Exists(Path.Combine(folder, PeftAdapter.ConfigFile)) && !File.Exists(Path.Combine(folder, "config.json"));

    /// <param name="folder">The adapter folder.</param>
    /// <param name="baseNames">The names of the local base models.</param>
    public static LocalAdapter Inspect(string folder, IReadOnlyCollection<string> baseNames)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        string? wanted;
        try
        {
            wanted = PeftAdapter.ReadBaseModelNameOrPath(folder);
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            return new($"?:{name}", name, null, folder, null, null, null, false, [], e.Message);
        }
        string? baseName = wanted is null ? null : LastPathComponent(wanted);
        // Hub ids and folder names differ in case now and then (qwen/… on ModelScope); an exact match wins.
        string? local = baseName is null ? null
            : baseNames.FirstOrDefault(b => b == baseName) ?? baseNames.FirstOrDefault(b => string.Equals(b, baseName, StringComparison.OrdinalIgnoreCase));

        LoraConfig? config = null;
        string? problem = null;
        try
        {
            config = PeftAdapter.ReadConfig(folder);
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
        }
        string configPath = Path.Combine(folder, PeftAdapter.ConfigFile), weightsPath = Path.Combine(folder, PeftAdapter.WeightsFile);
        problem ??= wanted is null ? $"{configPath}: base_model_name_or_path: missing, so the base model it belongs to is unknown"
            : local is null ? $"needs the base model '{baseName}' (base_model_name_or_path \"{wanted}\"), and no local model has that name; download or add it"
            : !File.Exists(weightsPath) ? $"{weightsPath}: not found: a PEFT adapter folder needs adapter_model.safetensors"
            : null;
        return new($"{local ?? baseName ?? "?"}:{name}", name, local ?? baseName, folder, wanted, config?.Rank, config?.Alpha,
            config?.UseDora ?? false, config?.TargetModules ?? [], problem);
    }

    /// <summary>"Qwen/Qwen2.5-0.5B-Instruct" → "Qwen2.5-0.5B-Instruct"; also for local paths, with either separator.</summary>
    public static string LastPathComponent(string nameOrPath) =>
        nameOrPath.TrimEnd('/', '\\').Split('/', '\\')[^1];
}
