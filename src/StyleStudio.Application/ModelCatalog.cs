using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StyleStudio.Models.Local;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Application;

/// <summary>A model folder offered in the studio: its name (the folder's) and path.</summary>
public sealed record ModelEntry(string Name, string Path);

/// <summary>
/// The Hugging Face model folders under the configured models folder (and folders registered by path, see
/// <see cref="LocalModels"/>), and their tokenizers, loaded once each (a
/// tokenizer.json of a real model takes a second to parse, and previews ask for it on every row).
/// </summary>
public sealed class ModelCatalog(IOptions<StudioOptions> options)
{
    readonly ConcurrentDictionary<string, Lazy<TextTokenizer>> tokenizers = new();

    public string Folder => options.Value.ResolvedModelsFolder;

    /// <summary>The local models holding a config.json, by name; none when the folder does not exist yet. Downloads in
    /// progress stay in a hidden staging folder, so they are not offered.</summary>
    public IReadOnlyList<ModelEntry> Models() => new LocalModels(Folder).ModelFolders()
        .Select(e => new ModelEntry(e.Name, e.Path))
        .ToList();

    /// <summary>The folder of the model named <paramref name="name"/>.</summary>
    public string Path(string name) => Models().FirstOrDefault(m => m.Name == name)?.Path
        ?? throw new ArgumentException($"no model folder named '{name}' in {Folder}");

    /// <summary>The tokenizer of the model named <paramref name="name"/>.</summary>
    public TextTokenizer Tokenizer(string name) =>
        tokenizers.GetOrAdd(Path(name), path => new Lazy<TextTokenizer>(() => TextTokenizer.Load(path))).Value;
}
