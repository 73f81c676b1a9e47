using LiteDB;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Data.Cleaning;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Storage;

/// <summary>A dataset as listed: its current version and how many rows that version holds.</summary>
public sealed record DatasetSummary(int Id, string Name, int Version, long Rows, long Rejected, DateTime CreatedUtc, string SourceFile);

/// <summary>One version of a dataset: made from <paramref name="Parent"/> by <paramref name="Steps"/>.</summary>
/// <param name="Note">What else the version should remember about how it was made (the prompt that generated its pairs); may be null.</param>
public sealed record DatasetVersion(int Number, int? Parent, IReadOnlyList<string> Steps, long Rows, DateTime CreatedUtc, string? Note = null);

/// <summary>Another process holds the data folder.</summary>
public sealed class DataStoreLockedException(string message) : Exception(message);

/// <summary>
/// The studio's data folder: a document database holding datasets, their versions, rows (in chunk documents) and import
/// reports, and beside it uploads/ID/ with each original uploaded file. The database is a LiteDB file in the folder
/// (<see cref="Open"/>), or PostgreSQL shared by the processes of a cluster (<see cref="OpenShared"/>). LiteDB in direct
/// mode corrupts a file that two processes open (lost rows, page errors), so <see cref="Open"/> takes an exclusive lock
/// file first and a second process fails at once with a clear message.
/// An import is atomic: its dataset is written under <c>pendingName</c> (no <c>name</c>, so nothing lists or finds it) and
/// only named once every row is stored; whatever a killed process left pending, and the studio's scratch uploads in
/// incoming/, are removed when the store opens (see <see cref="RecoverInterruptedImports"/>).
/// </summary>
public sealed class DataStore : IDisposable
{
    public const string DatabaseFile = "studio.db";
    public const string LockFile = "studio.lock";
    /// <summary>Who holds the lock, for the message a second process gets (the lock file itself cannot be read then).</summary>
    const string OwnerFile = "studio.owner";

    /// <summary>
    /// On a shared database, how old an unfinished import (or corpus, or mining session) must be before another process
    /// takes it for abandoned. Nothing records which process writes one, nor whether it lives, so age decides: an import
    /// streams tens of thousands of rows a second, so one still pending after this long belongs to a process that died.
    /// </summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(6);

    readonly FileStream? lockHandle;
    readonly IDocumentDatabase database;
    readonly IDocumentCollection datasets, chunks, errors;
    readonly bool shared;

    public string Folder { get; }

    /// <summary>Where the CLI and the studio keep their data unless told otherwise: $STYLESTUDIO_DATA, else the user's
    /// local application data folder (~/.local/share/StyleStudio on Linux).</summary>
    public static string DefaultFolder => Environment.GetEnvironmentVariable("STYLESTUDIO_DATA")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "StyleStudio");

    DataStore(string folder, IDocumentDatabase database, FileStream? lockHandle)
    {
        Folder = folder;
        this.lockHandle = lockHandle;
        this.database = database;
        shared = lockHandle is null;
        // Exclusive: nothing pending can be in use. Shared: only what has been pending for long is abandoned.
        var abandonedBefore = shared ? DateTime.UtcNow - AbandonedAfter : DateTime.MaxValue;
        IncomingFolder = shared
            ? Path.Combine(folder, "incoming", $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}")
            : Path.Combine(folder, "incoming");
        datasets = database.Collection("datasets", DocumentIds.Int32);
        chunks = database.Collection("row_chunks");
        errors = database.Collection("import_errors");
        errors.EnsureIndex("dataset");
        Evaluations = new EvaluationStore(database);
        Ratings = new RatingStore(database);
        Styles = new StyleStore(database);
        Corpora = new CorpusStore(database, abandonedBefore);
        PairGenerations = new PairGenerationStore(database);
        Annotations = new AnnotationStore(database, this);
        Mining = new MiningStore(database, abandonedBefore);
        KeyRing = new KeyRingStore(database);
        RecoverInterruptedImports(abandonedBefore);
    }

    /// <summary>Scratch copies of files being uploaded to the studio; only a live page holds one. On a shared database each
    /// process has a folder of its own under incoming/, so that none removes another's uploads.</summary>
    public string IncomingFolder { get; }

    /// <summary>
    /// Removes what imports that never finished left behind (the process was killed, or the machine stopped): pending
    /// datasets with their rows, rejections and uploads/ID/, upload folders no dataset owns, and scratch uploads. Their
    /// names are free again. With the folder's lock nothing here is in use, so all of it goes; on a shared database other
    /// live processes may be importing right now, so only what was left longer ago than <see cref="AbandonedAfter"/> goes
    /// (pending datasets by their creation time, folders by their last write).
    /// </summary>
    void RecoverInterruptedImports(DateTime abandonedBefore)
    {
        foreach (var pending in datasets.Find(DocumentQuery.NotNull("pendingName")).ToList())
            if (pending["createdUtc"].AsDateTime.ToUniversalTime() < abandonedBefore) DeleteRecords(pending["_id"].AsInt32);
        string uploads = Path.Combine(Folder, "uploads");
        if (Directory.Exists(uploads))
        {
            var owned = datasets.FindAll().Select(d => d["_id"].AsInt32.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            foreach (var folder in Directory.EnumerateDirectories(uploads).Where(f => !owned.Contains(Path.GetFileName(f))).ToList())
                if (Directory.GetLastWriteTimeUtc(folder) < abandonedBefore) Directory.Delete(folder, recursive: true);
        }
        if (!shared)
        {
            if (Directory.Exists(IncomingFolder)) Directory.Delete(IncomingFolder, recursive: true);
            return;
        }
        string incoming = Path.GetDirectoryName(IncomingFolder)!;
        if (Directory.Exists(incoming))
            foreach (var folder in Directory.EnumerateDirectories(incoming).Where(f => Directory.GetLastWriteTimeUtc(f) < abandonedBefore).ToList())
                Directory.Delete(folder, recursive: true);
    }

    readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Lazy<object>> attached = new();

    /// <summary>
    /// A store of another layer kept in this database (the application's runs): made once, on first use, from the
    /// database and this folder, and shared by every caller until the data store is disposed. Lazy: two first callers at
    /// once must not both open it (opening makes indexes and may clean up).
    /// </summary>
    public T Attached<T>(Func<IDocumentDatabase, string, T> create) where T : class =>
        (T)attached.GetOrAdd(typeof(T), _ => new Lazy<object>(() => create(database, Folder))).Value;

    public EvaluationStore Evaluations { get; }

    /// <summary>Blind rating studies and their ratings, in the same database.</summary>
    public RatingStore Ratings { get; }

    /// <summary>Styles: name, phrasing, rows that carry it, chosen adapter, presets.</summary>
    public StyleStore Styles { get; }

    /// <summary>Unpaired texts of one style each (imported documents), the raw material pairs are mined, generated or written from.</summary>
    public CorpusStore Corpora { get; }

    /// <summary>Pairs generated by rewriting styled texts into plain ones: settings, progress and each item's outcome.</summary>
    public PairGenerationStore PairGenerations { get; }
    /// <summary>Annotation projects: source texts people write the target style of, their reviews, and what was published.</summary>
    public AnnotationStore Annotations { get; }
    /// <summary>Mining sessions: candidate pairs found between two corpora and the user's review of them.</summary>
    public MiningStore Mining { get; }

    /// <summary>The web studio's data-protection keys, shared by the studio processes of a cluster.</summary>
    public KeyRingStore KeyRing { get; }

    /// <summary>The data folder with its own LiteDB file, for this process alone (the folder's lock file says so).</summary>
    /// <exception cref="DataStoreLockedException">Another process has the folder open.</exception>
    public static DataStore Open(string folder)
    {
        Directory.CreateDirectory(folder);
        string lockPath = Path.Combine(folder, LockFile);
        FileStream handle;
        try
        {
            handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            string ownerPath = Path.Combine(folder, OwnerFile);
            string holder = File.Exists(ownerPath) ? File.ReadAllText(ownerPath).Trim() : "";
            throw new DataStoreLockedException($"the data folder {folder} is in use by another StyleStudio process" +
                (holder.Length > 0 ? $" ({holder})" : "") + "; stop it (or point this one at another folder with --data) and try again");
        }
        File.WriteAllText(Path.Combine(folder, OwnerFile), $"pid {Environment.ProcessId} since {DateTime.UtcNow:u}");
        LiteDocumentDatabase? database = null;
        try
        {
            database = new LiteDocumentDatabase(Path.Combine(folder, DatabaseFile));
            return new DataStore(folder, database, handle);
        }
        catch
        {
            database?.Dispose();
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The data of a cluster: documents in the PostgreSQL database of <paramref name="postgresConnectionString"/>, files
    /// (uploads/, runs/, exports …) in <paramref name="folder"/>, a folder every node of the cluster mounts. No lock file:
    /// the studio and its workers open it at once (the first to come makes the tables).
    /// </summary>
    public static DataStore OpenShared(string folder, string postgresConnectionString)
    {
        Directory.CreateDirectory(folder);
        var database = PostgresDocumentDatabase.Open(postgresConnectionString);
        try
        {
            return new DataStore(folder, database, lockHandle: null);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Imports a file as a new dataset (version 1): rows stream into chunk documents, the first rejected rows into the
    /// import report and all of them into uploads/ID/report/rejected-rows.jsonl, and the original file is kept. The
    /// dataset appears only when all of this is done; a failure or cancellation removes every trace of it.
    /// </summary>
    public (DatasetSummary Dataset, ImportReport Report) Import(string name, string path, ImportOptions options,
        IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        RequireFreeName(name);
        int id = datasets.Insert(new BsonDocument { ["pendingName"] = name, ["createdUtc"] = DateTime.UtcNow, ["version"] = 1 }).AsInt32;
        string versionKey = VersionKey(id, 1);
        string uploads = UploadsFolder(id);
        Directory.CreateDirectory(uploads);
        var keepOriginal = Task.Run(() => File.Copy(path, Path.Combine(uploads, Path.GetFileName(path)), overwrite: true), cancellation);
        ImportReport report;
        try
        {
            using (var writer = new ChunkWriter(chunks, versionKey))
            {
                report = DatasetImporter.Import(path, options, writer.Add, progress, cancellation, RejectionReportFile(id));
                writer.Complete();
            }
            if (report.Imported == 0) throw new NothingImportedException(report with { RejectionReport = null });   // its report file goes with it
            keepOriginal.GetAwaiter().GetResult();
            var document = datasets.FindById(id)!;   // written above; recovery leaves a live import alone
            document["sourceFile"] = report.File;
            document["format"] = report.Format.ToString();
            document["encoding"] = report.Encoding;
            document["versions"] = new BsonArray { VersionEntry(1, null, [$"import {report.File}"], report.Imported) };
            RecordMapping(document, report);
            // The last step: the dataset takes its name (unless another import took it meanwhile) and becomes visible.
            RequireFreeName(name, exceptId: id);
            document.Remove("pendingName");
            document["name"] = name;
            datasets.Update(document);
            return (Summary(document), report);
        }
        catch
        {
            DeleteRecords(id);
            keepOriginal.ContinueWith(_ => { if (Directory.Exists(uploads)) Directory.Delete(uploads, recursive: true); }, TaskScheduler.Default)
                .GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Every row the latest import or re-map of a dataset rejected, as JSON Lines (row, field, reason).</summary>
    public string RejectionReportFile(int datasetId) => Path.Combine(UploadsFolder(datasetId), "report", "rejected-rows.jsonl");

    /// <summary>
    /// The mapping step over a dataset's stored original file, read as it was imported (same format and encoding):
    /// starts from the dataset's current mapping unless <paramref name="mapping"/> is given.
    /// </summary>
    public MappingPreview PreviewRemap(string name, FieldMapping? mapping = null)
    {
        var document = datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name);
        return DatasetImporter.Preview(OriginalOf(document), OriginalOptions(document, mapping ?? StoredMapping(document)));
    }

    /// <summary>
    /// Maps the stored original file again with <paramref name="mapping"/> into a new version (made from the current
    /// one, which stays: <see cref="Revert"/> goes back). The rejected rows become this mapping's.
    /// </summary>
    public (DatasetSummary Dataset, ImportReport Report) Remap(string name, FieldMapping mapping, CancellationToken cancellation = default)
    {
        var document = datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name);
        int id = document["_id"].AsInt32, parent = document["version"].AsInt32;
        int version = document["versions"].AsArray.Max(v => v["number"].AsInt32) + 1;
        string key = VersionKey(id, version);
        ImportReport report;
        string rejections = RejectionReportFile(id), replaced = rejections + ".previous";
        if (File.Exists(rejections)) File.Move(rejections, replaced, overwrite: true);
        try
        {
            using var writer = new ChunkWriter(chunks, key);
            report = DatasetImporter.Import(OriginalOf(document), OriginalOptions(document, mapping), writer.Add, cancellation: cancellation,
                rejectionReport: rejections);
            writer.Complete();
            if (report.Imported == 0) throw new NothingImportedException(report with { RejectionReport = null });   // its report file goes with it
        }
        catch
        {
            chunks.DeleteMany(DocumentQuery.StartsWith("_id", key + ":"));
            if (File.Exists(replaced)) File.Move(replaced, rejections, overwrite: true);
            else if (File.Exists(rejections)) File.Delete(rejections);
            throw;
        }
        if (File.Exists(replaced)) File.Delete(replaced);
        errors.DeleteMany(DocumentQuery.Eq("dataset", id));
        document["versions"].AsArray.Add(VersionEntry(version, parent, [$"re-map {report.File}: {report.Mapping}"], report.Imported));
        document["version"] = version;
        RecordMapping(document, report);
        return (Summary(document), report);
    }

    /// <summary>The mapping the dataset was last imported or re-mapped with (null for datasets made from rows).</summary>
    public FieldMapping? MappingOf(string name) => StoredMapping(datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name));

    /// <summary>Saves a mapping's outcome on the dataset: its rows, rejections (replacing earlier ones) and the mapping itself.</summary>
    void RecordMapping(BsonDocument document, ImportReport report)
    {
        int id = document["_id"].AsInt32;
        foreach (var batch in report.Errors.Chunk(RowDocuments.ChunkSize))
            errors.Insert(new BsonDocument
            {
                ["dataset"] = id,
                ["errors"] = new BsonArray(batch.Select(e => new BsonDocument { ["at"] = e.Location, ["field"] = e.Field, ["reason"] = e.Reason })),
            });
        document["rows"] = report.Imported;
        document["rejected"] = report.Rejected;
        document["mapping"] = report.Mapping.ToString();
        document["mappingDetail"] = BsonMapper.Global.ToDocument(report.Mapping);
        document["mappingConfidence"] = report.MappingConfidence;
        datasets.Update(document);
    }

    static FieldMapping? StoredMapping(BsonDocument document) =>
        document.TryGetValue("mappingDetail", out var detail) && detail.IsDocument ? BsonMapper.Global.ToObject<FieldMapping>(detail.AsDocument) : null;

    string OriginalOf(BsonDocument document) => document.ContainsKey("format")
        ? OriginalFile(document["_id"].AsInt32)
        : throw new ArgumentException($"'{document["name"].AsString}' was not imported from a file ({document["sourceFile"].AsString}), so it has no original to map again");

    static ImportOptions OriginalOptions(BsonDocument document, FieldMapping? mapping) => new(
        Format: Enum.Parse<SourceFormat>(document["format"].AsString),
        Encoding: document.TryGetValue("encoding", out var encoding) && !encoding.IsNull ? encoding.AsString : null,
        Mapping: mapping);

    /// <summary>
    /// Deletes a dataset with every version's rows, its rejected rows and its uploaded original. Refused while a queued
    /// or running training run still has to read it.
    /// </summary>
    public void Delete(string name)
    {
        var document = datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name);
        int id = document["_id"].AsInt32;
        if (RunDocuments.ActiveOn(database, id) is { } active)
            throw new InvalidOperationException($"'{name}' is used by run {active.Id} ({active.Name}), which is {active.Status}; " +
                                                "cancel it or let it finish, then delete the dataset");
        DeleteRecords(id);
        string uploads = UploadsFolder(id);
        if (Directory.Exists(uploads)) Directory.Delete(uploads, recursive: true);
    }

    /// <summary>Gives a dataset a new (valid, unused) name; runs made from it show the new name too.</summary>
    public DatasetSummary Rename(string name, string newName)
    {
        var document = datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name);
        if (newName == name) return Summary(document);
        RequireFreeName(newName);
        document["name"] = newName;
        datasets.Update(document);
        RunDocuments.RenameDataset(database, document["_id"].AsInt32, newName);
        return Summary(document);
    }

    /// <summary>A valid name that no dataset has, nor an import under way will take.</summary>
    void RequireFreeName(string name, int? exceptId = null)
    {
        DatasetNames.Check(name);
        var holders = datasets.Find(DocumentQuery.Or(DocumentQuery.Eq("name", name), DocumentQuery.Eq("pendingName", name))).Where(d => d["_id"].AsInt32 != exceptId);
        if (holders.Any()) throw new ArgumentException($"a dataset named '{name}' already exists");
    }

    string UploadsFolder(int id) => Path.Combine(Folder, "uploads", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Runs cleaning steps over the current version and stores the result as a new version (the old one stays, so
    /// <see cref="Revert"/> undoes it). Returns each step's counts.
    /// </summary>
    public (DatasetSummary Dataset, IReadOnlyList<StepReport> Steps) Clean(string name, IReadOnlyList<CleaningStep> steps)
    {
        if (steps.Count == 0) throw new ArgumentException("choose at least one cleaning step");
        var document = datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name);
        int id = document["_id"].AsInt32, parent = document["version"].AsInt32;
        int version = document["versions"].AsArray.Max(v => v["number"].AsInt32) + 1;
        long count = ChunkWriter.WriteAll(chunks, VersionKey(id, version), steps.Aggregate(Rows(id), (current, step) => step.Apply(current)));
        var reports = steps.Select(s => s.Report).ToList();
        document["versions"].AsArray.Add(VersionEntry(version, parent, reports.Select(r => r.ToString()), count));
        document["version"] = version;
        document["rows"] = count;
        datasets.Update(document);
        return (Summary(document), reports);
    }

    /// <summary>Makes an earlier (or later) version current again; no rows are lost either way.</summary>
    public DatasetSummary Revert(string name, int version)
    {
        var document = datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name);
        var entry = document["versions"].AsArray.FirstOrDefault(v => v["number"].AsInt32 == version)
            ?? throw new ArgumentException($"'{name}' has no version {version}; versions: {string.Join(", ", document["versions"].AsArray.Select(v => v["number"].AsInt32))}");
        document["version"] = version;
        document["rows"] = entry["rows"].AsInt64;
        datasets.Update(document);
        return Summary(document);
    }

    /// <summary>Each version: its number, the version it was made from, what made it, and its row count.</summary>
    public IReadOnlyList<DatasetVersion> Versions(string name) =>
        (datasets.FindOne(DocumentQuery.Eq("name", name)) ?? throw Unknown(name))["versions"].AsArray.Select(v => new DatasetVersion(
            v["number"].AsInt32, v["parent"].IsNull ? null : v["parent"].AsInt32, v["steps"].AsArray.Select(s => s.AsString).ToList(),
            v["rows"].AsInt64, v["createdUtc"].AsDateTime.ToUniversalTime(), v.AsDocument.TryGetValue("note", out var note) && !note.IsNull ? note.AsString : null)).ToList();

    /// <summary>
    /// Adds rows made elsewhere (mined, generated or annotated pairs) to a dataset as a new version: the current version's
    /// rows followed by <paramref name="rows"/>. The dataset is created (as version 1) when no dataset has the name.
    /// </summary>
    /// <param name="step">What made the rows, as the version history shows it ("mined 120 pairs from news × posts").</param>
    /// <param name="note">Anything else to keep with the version (the prompt that generated the pairs).</param>
    public DatasetSummary AddVersion(string name, IEnumerable<DatasetRow> rows, string step, string? note = null)
    {
        var document = datasets.FindOne(DocumentQuery.Eq("name", name));
        if (document is null) return Create(name, rows, step, note);
        int id = document["_id"].AsInt32, parent = document["version"].AsInt32;
        int version = document["versions"].AsArray.Max(v => v["number"].AsInt32) + 1;
        long count = ChunkWriter.WriteAll(chunks, VersionKey(id, version), Rows(id, parent).Concat(rows));
        document["versions"].AsArray.Add(VersionEntry(version, parent, [step], count, note));
        document["version"] = version;
        document["rows"] = count;
        datasets.Update(document);
        return Summary(document);
    }

    /// <summary>A new dataset from rows made elsewhere (a split, an augmentation), recording where they came from.</summary>
    public DatasetSummary Create(string name, IEnumerable<DatasetRow> rows, string origin, string? note = null)
    {
        RequireFreeName(name);
        // Pending until every row is written, as an import is.
        int id = datasets.Insert(new BsonDocument { ["pendingName"] = name, ["createdUtc"] = DateTime.UtcNow, ["version"] = 1, ["sourceFile"] = origin }).AsInt32;
        try
        {
            long count = ChunkWriter.WriteAll(chunks, VersionKey(id, 1), rows);
            var document = datasets.FindById(id)!;   // written above; recovery leaves a live import alone
            document["rows"] = count;
            document["versions"] = new BsonArray { VersionEntry(1, null, [origin], count, note) };
            RequireFreeName(name, exceptId: id);
            document.Remove("pendingName");
            document["name"] = name;
            datasets.Update(document);
            return Summary(document);
        }
        catch
        {
            DeleteRecords(id);
            throw;
        }
    }

    static BsonDocument VersionEntry(int number, int? parent, IEnumerable<string> steps, long rows, string? note = null) => new()
    {
        ["note"] = note is null ? BsonValue.Null : note,
        ["number"] = number,
        ["parent"] = parent is { } p ? p : BsonValue.Null,
        ["steps"] = new BsonArray(steps.Select(s => new BsonValue(s))),
        ["rows"] = rows,
        ["createdUtc"] = DateTime.UtcNow,
    };

    static ArgumentException Unknown(string name) => new($"no dataset named '{name}'");

    /// <summary>Every dataset, in order of creation; imports under way are not datasets yet.</summary>
    public IReadOnlyList<DatasetSummary> Datasets() =>
        datasets.Find(DocumentQuery.NotNull("name")).Select(Summary).OrderBy(d => d.Id).ToList();

    public DatasetSummary Find(string name) => datasets.FindOne(DocumentQuery.Eq("name", name)) is { } document ? Summary(document)
        : throw new ArgumentException($"no dataset named '{name}'; datasets: {string.Join(", ", Datasets().Select(d => d.Name))}");

    /// <summary>The rows of a dataset's current version, in import order, streamed chunk by chunk.</summary>
    public IEnumerable<DatasetRow> Rows(int datasetId)
    {
        var dataset = datasets.FindById(datasetId) ?? throw new ArgumentException($"no dataset with id {datasetId}");
        return Rows(datasetId, dataset["version"].AsInt32);
    }

    /// <summary>The rows of one version (a training run reads the version it was started on, whatever is current now).</summary>
    public IEnumerable<DatasetRow> Rows(int datasetId, int version)
    {
        string key = VersionKey(datasetId, version);
        foreach (var chunk in chunks.Find(DocumentQuery.StartsWith("_id", key + ":")))
            foreach (var row in RowDocuments.Unpack(chunk["rows"].AsBinary))
                yield return row;
    }

    /// <summary>Every row the import rejected, with where, which field and why.</summary>
    public IEnumerable<RowError> ImportErrors(int datasetId) =>
        errors.Find(DocumentQuery.Eq("dataset", datasetId)).SelectMany(batch => batch["errors"].AsArray)
            .Select(e => new RowError(e["at"].AsInt64, e["field"].AsString, e["reason"].AsString));

    /// <summary>The file the dataset was imported from, as uploaded (kept beside the database in uploads/ID/).</summary>
    public string OriginalFile(int datasetId) => Directory.EnumerateFiles(UploadsFolder(datasetId)).Single();

    void DeleteRecords(int id)
    {
        chunks.DeleteMany(DocumentQuery.StartsWith("_id", $"{id}:"));
        errors.DeleteMany(DocumentQuery.Eq("dataset", id));
        datasets.Delete(id);
    }

    static string VersionKey(int dataset, int version) => $"{dataset}:{version}";

    static DatasetSummary Summary(BsonDocument d) => new(d["_id"].AsInt32, d["name"].AsString, d["version"].AsInt32,
        d.TryGetValue("rows", out var rows) ? rows.AsInt64 : 0, d.TryGetValue("rejected", out var rejected) ? rejected.AsInt64 : 0,
        d["createdUtc"].AsDateTime.ToUniversalTime(), d.TryGetValue("sourceFile", out var file) ? file.AsString : "");

    public void Dispose()
    {
        database.Dispose();
        lockHandle?.Dispose();
    }
}
