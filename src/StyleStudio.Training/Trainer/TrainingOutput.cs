using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// What a run leaves in its output folder (adapter, model weights, checkpoints), so that a new run into a folder that
/// already holds a result can refuse rather than silently overwrite it, or clear it when told to.
/// </summary>
public static class TrainingOutput
{
    /// <summary>The results already in <paramref name="folder"/>, by name (adapter files, model weights, checkpoint folders).</summary>
    public static IReadOnlyList<string> Results(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var files = Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>()
            .Where(name => name is PeftAdapter.ConfigFile or PeftAdapter.WeightsFile or SafetensorsCheckpoint.IndexFile
                           || (name.StartsWith("model", StringComparison.Ordinal) && name.EndsWith(".safetensors", StringComparison.Ordinal)));
        var folders = Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .Where(name => name.StartsWith("checkpoint-", StringComparison.Ordinal) || name == TrainingCheckpoint.BestFolder);
        return files.Order(StringComparer.Ordinal).Concat(folders.Order(StringComparer.Ordinal)).ToList();
    }

    /// <summary>Deletes the results and the metrics log (a new run would append to the old one's steps).</summary>
    public static void Clear(string folder)
    {
        foreach (string name in Results(folder))
        {
            string path = Path.Combine(folder, name);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        File.Delete(Path.Combine(folder, MetricsLog.FileName));
    }
}
