using StyleStudio.Data.Storage;

namespace StyleStudio.Serving;

/// <summary>What a model id names: a base folder, optionally an adapter on it, and the template its answers expect.</summary>
/// <param name="Id">As clients write it: a base folder name, <c>run-N</c>, or <c>BASE:ADAPTER</c>.</param>
/// <param name="BaseName">The base's folder name.</param>
/// <param name="BaseFolder">Where the base's config, weights and tokenizer are.</param>
/// <param name="AdapterFolder">A PEFT adapter folder to run through, or null for the base alone.</param>
/// <param name="Template">The prompt template the adapter was trained with, when known.</param>
/// <param name="Style">The style the adapter carries, when known.</param>
/// <param name="Problem">Why it cannot be served (e.g. its base is missing), or null.</param>
/// <param name="Instruction">For a style addressed by name: its phrasing, put before the last user message as training put
/// the instruction before the input.</param>
/// <param name="Presets">For a style addressed by name: the sampling a request starts from where it leaves a field out.</param>
public sealed record ServableModel(string Id, string BaseName, string BaseFolder, string? AdapterFolder = null,
    string? Template = null, string? Style = null, string? Problem = null, string? Instruction = null, StylePresets? Presets = null);

/// <summary>The models a host can serve, by id; the studio lists its folders and runs, the CLI the folders it was given.</summary>
public interface IModelDirectory
{
    IReadOnlyList<ServableModel> List();
}

/// <summary>A fixed list: what the CLI serves from <c>--model</c> and <c>--adapter</c>.</summary>
public sealed class FixedModelDirectory(params ServableModel[] models) : IModelDirectory
{
    public IReadOnlyList<ServableModel> List() => models;
}

/// <summary>A model id no directory entry answers to.</summary>
public sealed class ModelNotFoundException(string id, IEnumerable<string> available) : ArgumentException(
    $"no model '{id}'; available: {(available.Any() ? string.Join(", ", available) : "none (get a model on the Models page)")}")
{
    public string Id { get; } = id;
}
