using System.Text.Json;
using StyleStudio.Models.Download;

namespace StyleStudio.Models.Local;

/// <summary>
/// The models on this machine: the folders in the models folder (hidden ones, such as the download staging folder,
/// excluded) plus folders elsewhere registered by path in <c>registered-models.json</c> beside them. Registering never
/// copies; removing a registered model only forgets it, removing a folder model deletes the folder. Folders holding a PEFT
/// adapter are no models of their own: <see cref="Adapters"/> lists them, each with the base model it attaches to.
/// </summary>
public sealed class LocalModels(string modelsFolder)
{
    public const string RegistryFile = "registered-models.json";
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    static readonly Lock Writing = new();

    public string Folder { get; } = Path.GetFullPath(modelsFolder);

    /// <summary>Every model, inspected (see <see cref="ModelInspector"/>), by name.</summary>
    public IReadOnlyList<LocalModel> List() => Entries()
        .Select(e => ModelInspector.Inspect(e.Name, e.Path, e.Origin))
        .ToList();

    /// <summary>The PEFT adapter folders in the models folder, inspected (see <see cref="AdapterInspector"/>), by base then folder.</summary>
    public IReadOnlyList<LocalAdapter> Adapters()
    {
        var baseNames = Entries().Select(e => e.Name).ToList();
        return Subfolders().Where(AdapterInspector.IsAdapterFolder)
            .Select(d => AdapterInspector.Inspect(d, baseNames))
            .OrderBy(a => a.BaseName ?? "", StringComparer.OrdinalIgnoreCase)
            .ThenBy(a => a.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>Names and folders only, without inspecting: folders in the models folder, then registered ones.</summary>
    public IReadOnlyList<(string Name, string Path, ModelOrigin Origin)> Entries()
    {
        var folders = Subfolders()
            .Where(d => !AdapterInspector.IsAdapterFolder(d))
            .Select(d => (Name: Path.GetFileName(d), Path: d, Origin: ModelOrigin.Folder));
        var registered = Registry().Select(r => (Name: r.Key, Path: r.Value, Origin: ModelOrigin.Registered));
        return folders.Concat(registered)
            .DistinctBy(e => e.Name)
            .OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>The entries that hold a config.json (a model that can be loaded, or say why not), by name.</summary>
    public IReadOnlyList<(string Name, string Path, ModelOrigin Origin)> ModelFolders() =>
        Entries().Where(e => File.Exists(Path.Combine(e.Path, "config.json"))).ToList();

    /// <summary>The folder of model <paramref name="name"/>, or null.</summary>
    public string? PathOf(string name) => Entries().FirstOrDefault(e => e.Name == name).Path;

    /// <summary>Registers the model folder at <paramref name="path"/> under <paramref name="name"/> (default: the folder's
    /// name) after checking that it loads; the folder stays where it is.</summary>
    public LocalModel Register(string path, string? name = null)
    {
        string folder = Path.GetFullPath(path.Trim());
        name = string.IsNullOrWhiteSpace(name) ? Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)) : name.Trim();
        CheckName(name);
        if (!Directory.Exists(folder)) throw new ArgumentException($"{folder}: folder not found");
        if (PathOf(name) is { } existing) throw new ArgumentException($"a model named '{name}' already exists ({existing}); choose another name");
        var model = ModelInspector.Inspect(name, folder, ModelOrigin.Registered);
        if (model.Error is not null) throw new ArgumentException($"{folder} is not a model StyleStudio can load: {model.Error}");
        lock (Writing)
        {
            var registry = Registry();
            registry[name] = folder;
            Save(registry);
        }
        return model;
    }

    /// <summary>
    /// Removes model <paramref name="name"/>: forgets a registered one (its folder is left alone), deletes a folder in the
    /// models folder. Refused while <paramref name="users"/> names a user of it.
    /// </summary>
    public ModelOrigin Remove(string name, IModelUsers? users = null)
    {
        var entry = Entries().FirstOrDefault(e => e.Name == name);
        if (entry.Name is null) throw new ArgumentException($"no model named '{name}' in {Folder}");
        if (users?.UsersOf(name) is { Count: > 0 } current)
            throw new InvalidOperationException($"'{name}' is in use ({string.Join("; ", current)}); stop those first");
        if (entry.Origin == ModelOrigin.Registered)
        {
            lock (Writing)
            {
                var registry = Registry();
                registry.Remove(name);
                Save(registry);
            }
            return entry.Origin;
        }
        // Rename first so a half-deleted folder never looks like a model, then delete.
        string doomed = Path.Combine(Folder, ModelDownloader.StagingFolder, $"{name}.deleting-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.GetDirectoryName(doomed)!);
        Directory.Move(entry.Path, doomed);
        Directory.Delete(doomed, recursive: true);
        var staging = Path.GetDirectoryName(doomed)!;
        if (!Directory.EnumerateFileSystemEntries(staging).Any()) Directory.Delete(staging);
        return entry.Origin;
    }

    IEnumerable<string> Subfolders() => !Directory.Exists(Folder) ? []
        : Directory.EnumerateDirectories(Folder).Where(d => !Path.GetFileName(d).StartsWith('.'));

    static void CheckName(string name)
    {
        if (name.Length == 0 || name.StartsWith('.') || name.IndexOfAny(['/', '\\', ':']) >= 0 || name.Any(char.IsControl))
            throw new ArgumentException($"'{name}' cannot be a model name (no slashes, colons, or leading dot)");
    }

    string RegistryPath => Path.Combine(Folder, RegistryFile);

    Dictionary<string, string> Registry()
    {
        if (!File.Exists(RegistryPath)) return [];
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(RegistryPath)) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{RegistryPath}: not valid JSON ({e.Message}); fix or delete it");
        }
    }

    void Save(Dictionary<string, string> registry)
    {
        Directory.CreateDirectory(Folder);
        string temporary = RegistryPath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(registry, Indented));
        File.Move(temporary, RegistryPath, overwrite: true);
    }
}
