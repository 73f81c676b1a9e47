using LiteDB;
using StyleStudio.Data.Storage.Documents;

namespace StyleStudio.Data.Storage;

/// <summary>Sampling a style starts from in the playground and the API when a request leaves a field out.</summary>
/// <param name="Temperature">0 is greedy. Defaults to 0.7.</param>
/// <param name="TopP">Nucleus mass. Defaults to 0.9.</param>
/// <param name="MaxNewTokens">Defaults to 256.</param>
/// <param name="Strength">Scale of the adapter's update (0 = the base alone, 1 = as trained, up to 2). Defaults to 1.</param>
public sealed record StylePresets(double Temperature = 0.7, double TopP = 0.9, int MaxNewTokens = 256, double Strength = 1.0);

/// <summary>
/// A style, the product's unit: what it is called and means, how a request for it is phrased, which dataset rows carry
/// it, and the adapter chosen to write it (a run as <c>run-N</c>, or an adapter folder as <c>BASE:FOLDER</c>).
/// </summary>
/// <param name="Name">As users and API clients address it, e.g. 古风 or casual; unique.</param>
/// <param name="Instruction">Put before the text to rewrite when a request names the style, e.g. 将下文改写成古风：. May be empty.</param>
/// <param name="Dataset">The dataset whose rows carry it, if any.</param>
/// <param name="Label">The value of the rows' style field that marks it (defaults to the name).</param>
/// <param name="Adapter">The model id of its current adapter, or null until one is chosen.</param>
public sealed record StyleRecord(int Id, string Name, string Description, string Instruction, string? Dataset, string Label,
    string? Adapter, StylePresets Presets, DateTime CreatedUtc);

/// <summary>Styles in the studio's database, one document each, names unique.</summary>
public sealed class StyleStore
{
    readonly IDocumentCollection styles;

    internal StyleStore(IDocumentDatabase database)
    {
        styles = database.Collection("styles", DocumentIds.Int32);
        styles.EnsureIndex("name", unique: true);
    }

    /// <summary>Sorted by name.</summary>
    public IReadOnlyList<StyleRecord> All() => styles.FindAll().Select(Record).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    public StyleRecord Get(int id) => styles.FindById(id) is { } document ? Record(document) : throw new ArgumentException($"no style with id {id}");

    /// <summary>The style called <paramref name="name"/> (exactly), or null.</summary>
    public StyleRecord? Find(string name) => styles.FindOne(DocumentQuery.Eq("name", name)) is { } document ? Record(document) : null;

    /// <summary>Adds a style; a name in use or empty is refused with the reason.</summary>
    public StyleRecord Create(string name, string description, string instruction, string? dataset, string? label, StylePresets? presets = null)
    {
        name = CheckName(name, exceptId: null);
        int id = styles.Insert(Document(new BsonDocument { ["createdUtc"] = DateTime.UtcNow }, name, description, instruction, dataset,
            label, presets ?? new StylePresets())).AsInt32;
        return Get(id);
    }

    /// <summary>Changes what a style is; its adapter stays.</summary>
    public StyleRecord Update(int id, string name, string description, string instruction, string? dataset, string? label, StylePresets presets)
    {
        var document = styles.FindById(id) ?? throw new ArgumentException($"no style with id {id}");
        name = CheckName(name, exceptId: id);
        styles.Update(Document(document, name, description, instruction, dataset, label, presets));
        return Get(id);
    }

    /// <summary>Chooses the adapter that writes the style (a model id), or none.</summary>
    public StyleRecord SetAdapter(int id, string? modelId)
    {
        var document = styles.FindById(id) ?? throw new ArgumentException($"no style with id {id}");
        document["adapter"] = modelId is null ? BsonValue.Null : modelId;
        styles.Update(document);
        return Get(id);
    }

    public void Delete(int id) => styles.Delete(id);

    string CheckName(string name, int? exceptId)
    {
        name = name.Trim();
        if (name.Length == 0) throw new ArgumentException("give the style a name");
        if (name.Length > 64) throw new ArgumentException($"a style name has at most 64 characters; '{name[..20]}…' has {name.Length}");
        // Model ids of runs and adapter folders look like these; a style must not shadow one.
        if (name.Contains(':') || name.StartsWith("run-", StringComparison.Ordinal))
            throw new ArgumentException($"'{name}' looks like a model id (run-N or BASE:ADAPTER); choose another style name");
        if (styles.FindOne(DocumentQuery.Eq("name", name)) is { } other && other["_id"].AsInt32 != exceptId)
            throw new ArgumentException($"a style called '{name}' already exists");
        return name;
    }

    static BsonDocument Document(BsonDocument document, string name, string description, string instruction, string? dataset,
        string? label, StylePresets presets)
    {
        document["name"] = name;
        document["description"] = description.Trim();
        document["instruction"] = instruction.Trim();
        document["dataset"] = string.IsNullOrWhiteSpace(dataset) ? BsonValue.Null : dataset;
        document["label"] = string.IsNullOrWhiteSpace(label) ? name : label.Trim();
        document["presets"] = new BsonDocument
        {
            ["temperature"] = presets.Temperature, ["topP"] = presets.TopP, ["maxNewTokens"] = presets.MaxNewTokens, ["strength"] = presets.Strength,
        };
        return document;
    }

    static StyleRecord Record(BsonDocument d)
    {
        var presets = d["presets"].AsDocument;
        return new StyleRecord(d["_id"].AsInt32, d["name"].AsString, d["description"].AsString, d["instruction"].AsString,
            d["dataset"].IsNull ? null : d["dataset"].AsString, d["label"].AsString,
            d.TryGetValue("adapter", out var adapter) && !adapter.IsNull ? adapter.AsString : null,
            new StylePresets(presets["temperature"].AsDouble, presets["topP"].AsDouble, presets["maxNewTokens"].AsInt32, presets["strength"].AsDouble),
            d["createdUtc"].AsDateTime.ToUniversalTime());
    }
}
