using StyleStudio.Data.Storage.Documents;

namespace StyleStudio.Data.Storage;

/// <summary>
/// What a dataset needs to know of the training runs made from it, read from the runs' documents by field: whether one
/// still has to read it (queued or running), and the dataset name each shows. The runs themselves are the application
/// layer's (RunStore); this keeps datasets free of the trainer's types while a dataset's delete and rename stay safe.
/// </summary>
static class RunDocuments
{
    const string Collection = "runs";

    /// <summary>A queued or running run of the dataset, if any: its id, name and status in lower case.</summary>
    public static (int Id, string Name, string Status)? ActiveOn(IDocumentDatabase database, int datasetId) =>
        database.Collection(Collection, DocumentIds.Int32).Find(DocumentQuery.Eq("datasetId", datasetId))
            .Where(d => d["status"].AsString is "Queued" or "Running")
            .Select(d => ((int Id, string Name, string Status)?)(d["_id"].AsInt32, d["name"].AsString, d["status"].AsString.ToLowerInvariant()))
            .FirstOrDefault();

    /// <summary>Each run of the dataset shows <paramref name="name"/> from now on (one atomic change per run).</summary>
    public static void RenameDataset(IDocumentDatabase database, int datasetId, string name)
    {
        var runs = database.Collection(Collection, DocumentIds.Int32);
        foreach (var id in runs.Find(DocumentQuery.Eq("datasetId", datasetId)).Select(d => d["_id"].AsInt32).ToList())
            runs.Change(id, d =>
            {
                d["dataset"] = name;
                return true;
            });
    }
}
