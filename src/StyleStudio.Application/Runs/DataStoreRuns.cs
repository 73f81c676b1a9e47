using StyleStudio.Data.Storage;

namespace StyleStudio.Application.Runs;

/// <summary>
/// A data store's training runs. Runs belong to the application layer (their settings are the trainer's request, their
/// steps its events), so the data-set project does not know them; they live in the same database, opened with the store
/// and closed with it.
/// </summary>
public static class DataStoreRuns
{
    extension(DataStore store)
    {
        /// <summary>Training runs and their metrics, in the store's database; runs/ID/ in its folder holds each run's files.</summary>
        public RunStore Runs => store.Attached(static (documents, folder) => new RunStore(documents, Path.Combine(folder, "runs")));
    }
}
