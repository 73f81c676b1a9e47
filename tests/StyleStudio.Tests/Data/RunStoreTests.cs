using StyleStudio.Training.Runtime;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Data;

/// <summary>
/// Runs on both backends: a studio and a worker changing one run lose none of each other's changes, a step is recorded
/// once, and a run's record survives reopening.
/// </summary>
public abstract class RunStoreTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("runs-").FullName;
    readonly IStoreBackend backend;
    readonly DataStore store;
    readonly DatasetSummary dataset;

    protected RunStoreTests(IStoreBackend backend)
    {
        this.backend = backend;
        store = backend.Open(folder);
        dataset = store.Create("pairs", [new DatasetRow { Instruction = "改写", Input = "今天", Output = "今日" }], "test");
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    static TrainingEvent Step(int step, double loss = 1.0) => new(step, 10, step / 10.0, loss, 2e-4, 0.5, 100, step, 10 - step, MemoryBytes: 1L << 33);

    [Fact]
    public void A_step_is_recorded_once_and_again_only_after_the_steps_after_a_checkpoint_are_trimmed()
    {
        var run = store.Runs.Create("r", dataset, "qwen2", new RunRequest());
        var other = store.Runs.Create("s", dataset, "qwen2", new RunRequest());
        store.Runs.AddMetric(run.Id, Step(1));
        store.Runs.AddMetric(run.Id, Step(2));
        store.Runs.AddMetric(other.Id, Step(2));   // another run's step 2

        var repeated = Assert.Throws<DuplicateStepException>(() => store.Runs.AddMetric(run.Id, Step(2, loss: 0.5)));
        Assert.Equal((run.Id, 2), (repeated.Run, repeated.Step));
        Assert.Equal($"run {run.Id} has step 2 recorded already", repeated.Message);
        Assert.Equal([1.0, 1.0], store.Runs.Metrics(run.Id).Select(m => m.Loss));

        store.Runs.TrimMetrics(run.Id, 1);   // resumed from checkpoint-1: step 2 is trained again
        store.Runs.AddMetric(run.Id, Step(2, loss: 0.5));
        Assert.Equal([Step(1), Step(2, loss: 0.5)], store.Runs.Metrics(run.Id));
        Assert.Equal([Step(2)], store.Runs.Metrics(other.Id));
    }

    [Fact]
    public void Runs_are_found_by_status()
    {
        var queued = store.Runs.Create("q", dataset, "qwen2", new RunRequest());
        var running = store.Runs.Create("r", dataset, "qwen2", new RunRequest());
        store.Runs.Claim(running.Id, "worker-a:1:x", "training");
        Assert.Equal([running.Id], store.Runs.WithStatus(RunStatus.Running).Select(r => r.Id));
        Assert.Equal([queued.Id], store.Runs.WithStatus(RunStatus.Queued).Select(r => r.Id));
        Assert.Empty(store.Runs.WithStatus(RunStatus.Completed));
    }

    /// <summary>Every setting away from its default, to see each one stored and read back.</summary>
    static RunRequest Unusual() => new()
    {
        ModelPath = "/models/q", Template = "llama3", OutputDir = "/runs/x", FineTuning = FineTuningType.Freeze,
        FreezeTrainableLayers = 4, LoraRank = 32, LoraAlpha = 64, LoraDropout = 0.1, LoraTarget = ["q_proj", "v_proj"], UseDora = true,
        UseRslora = true, LearningRate = 1e-4, NumTrainEpochs = 1.5, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 5,
        LrScheduler = ScheduleKind.Constant, WarmupRatio = 0.05, WarmupSteps = 12, MaxGradNorm = 0.5, WeightDecay = 0.01, CutoffLen = 1024,
        TrainOnPrompt = true, Packing = true, Seed = 9, MaxSteps = 77, SaveSteps = 11, SaveTotalLimit = 5, LoggingSteps = 2,
        ValSize = 0.2, EvalSteps = 7, EarlyStoppingPatience = 2, Device = DevicePreference.Cuda, Precision = ComputePrecision.Float16,
        QuantizationBit = 4, GradientCheckpointing = false, Devices = [0, 1],
    };

    [Fact]
    public void Settings_are_stored_under_LLaMA_Factory_keys_with_a_schema_and_read_back_whole()
    {
        var settings = Unusual();
        var run = store.Runs.Create("r", dataset, "qwen2", settings);
        Assert.Equivalent(settings, store.Runs.Get(run.Id).Settings, strict: true);
        store.Dispose();

        var stored = RawRun(run.Id)["settings"].AsDocument;
        Assert.Equal(RunSettingsDocument.Schema, stored["schema"].AsInt32);
        Assert.Equal(RunSettingsDocument.Keys.Append("schema").Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        // LLaMA-Factory's keys and words, as a user's YAML has them.
        Assert.Equal((32, "cuda", 1.5, "freeze", "constant", "float16", "q_proj,v_proj", true),
            (stored["lora_rank"].AsInt32, stored["device"].AsString, stored["num_train_epochs"].AsDouble, stored["finetuning_type"].AsString,
             stored["lr_scheduler_type"].AsString, stored["dtype"].AsString, stored["lora_target"].AsString, stored["disable_gradient_checkpointing"].AsBoolean));
        // Every setting has a key: a new TrainConfig property must be given one here too, or runs would not keep it.
        Assert.Equal(typeof(TrainConfig).GetProperties().Length, RunSettingsDocument.Keys.Count);
        using var reopened = backend.Open(folder);
        Assert.Equivalent(settings, reopened.Runs.Get(run.Id).Settings, strict: true);
    }

    [Fact]
    public void A_run_stored_before_settings_had_a_schema_still_loads_with_every_setting()
    {
        // Fixtures/runs/run-schema0.json: a run document as the studio wrote it before this schema (see the README there).
        var written = LiteDB.JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(Fixtures.Root, "runs", "run-schema0.json"))).AsDocument;
        written["datasetId"] = dataset.Id;
        store.Dispose();
        if (backend is PostgresBackend postgres)
        {
            using var documents = StyleStudio.Data.Storage.Documents.PostgresDocumentDatabase.Open(postgres.ConnectionString);
            documents.Collection("runs", StyleStudio.Data.Storage.Documents.DocumentIds.Int32).Insert(written);
        }
        else
        {
            using var file = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(folder, DataStore.DatabaseFile), Connection = LiteDB.ConnectionType.Direct });
            file.GetCollection("runs", LiteDB.BsonAutoId.Int32).Insert(written);
        }

        using var reopened = backend.Open(folder);
        var run = reopened.Runs.Get(1);
        Assert.Equal(("古风 r16", "Qwen2.5-0.5B-Instruct", RunStatus.Running, "古风", "/data/runs/1"), (run.Name, run.Model, run.Status, run.Style, run.OutputDir));
        Assert.Equivalent(new RunRequest
        {
            Template = "qwen", FineTuning = FineTuningType.Lora, LoraRank = 16, LoraAlpha = 32, LoraDropout = 0.05, LoraTarget = ["q_proj", "v_proj"],
            UseDora = true, LearningRate = 2e-4, NumTrainEpochs = 2, PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 2,
            LrScheduler = ScheduleKind.Linear, WarmupRatio = 0.1, CutoffLen = 512, MaxSteps = 300, SaveSteps = 50, ValSize = 0.1, EvalSteps = 25,
            EarlyStoppingPatience = 3, Device = DevicePreference.Cuda, Precision = ComputePrecision.BFloat16, QuantizationBit = 4, Packing = true, Seed = 7,
        }, run.Settings, strict: true);
        // A change to the old run writes it back in the current schema, keeping its settings.
        reopened.Runs.MarkQueued(1, "again");
        Assert.Equal(16, reopened.Runs.Get(1).Settings.LoraRank);
        var next = reopened.Runs.Create("next", reopened.Find("pairs"), "qwen2", new RunRequest());
        Assert.Equal(2, next.Id);   // ids go on after the old run's
    }

    /// <summary>A run's document as stored (the store must be closed: LiteDB's file admits one opener).</summary>
    LiteDB.BsonDocument RawRun(int id)
    {
        if (backend is PostgresBackend postgres)
        {
            using var documents = StyleStudio.Data.Storage.Documents.PostgresDocumentDatabase.Open(postgres.ConnectionString);
            return documents.Collection("runs", StyleStudio.Data.Storage.Documents.DocumentIds.Int32).FindById(id)!;
        }
        using var file = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(folder, DataStore.DatabaseFile), Connection = LiteDB.ConnectionType.Direct });
        return file.GetCollection("runs").FindById(id);
    }

    [Fact]
    public async Task A_studio_and_a_worker_changing_one_run_at_once_lose_no_change()
    {
        var run = store.Runs.Create("r", dataset, "qwen2", new RunRequest());
        // On PostgreSQL the worker is a second store on the same database, as a process on another machine has; LiteDB
        // serves one process, so there the two are threads of it.
        var worker = backend is PostgresBackend ? backend.Open(folder) : store;
        try
        {
            const int attempts = 40;
            var barrier = new Barrier(2);
            var studio = Task.Run(() =>
            {
                barrier.SignalAndWait(TestContext.Current.CancellationToken);
                for (int i = 0; i < attempts; i++) store.Runs.BeginAttempt(run.Id);
                store.Runs.RequestCancel(run.Id);
            }, TestContext.Current.CancellationToken);
            var working = Task.Run(() =>
            {
                barrier.SignalAndWait(TestContext.Current.CancellationToken);
                for (int i = 0; i < attempts; i++)
                {
                    worker.Runs.BeginAttempt(run.Id);
                    worker.Runs.MarkRunning(run.Id, $"step {i}");
                }
            }, TestContext.Current.CancellationToken);
            await Task.WhenAll(studio, working);

            var after = store.Runs.Get(run.Id);
            Assert.Equal((2 * attempts, true, RunStatus.Running, $"step {attempts - 1}"), (after.Attempts, after.CancelRequested, after.Status, after.Message));
            Assert.NotNull(after.StartedUtc);
        }
        finally
        {
            if (worker != store) worker.Dispose();
        }
    }

    [Fact]
    public void Steps_recorded_twice_before_steps_were_unique_keep_the_later_record_when_the_store_opens()
    {
        var run = store.Runs.Create("r", dataset, "qwen2", new RunRequest());
        store.Runs.AddMetric(run.Id, Step(1));
        store.Dispose();
        // A database from before the unique index: drop it and record step 1 again, then step 2 twice.
        var repeated = new[] { Step(1, loss: 0.9), Step(2, loss: 0.8), Step(2, loss: 0.7) }
            .Select(m => { var d = LiteDB.BsonMapper.Global.ToDocument(m); d["run"] = run.Id; return d; }).ToList();
        if (backend is PostgresBackend postgres)
        {
            using (var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString))
            {
                connection.Open();
                using var drop = new Npgsql.NpgsqlCommand("DROP INDEX run_metrics_run_step", connection);
                drop.ExecuteNonQuery();
            }
            using var documents = StyleStudio.Data.Storage.Documents.PostgresDocumentDatabase.Open(postgres.ConnectionString);
            foreach (var document in repeated) documents.Collection("run_metrics").Insert(document);
        }
        else
        {
            using var file = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(folder, DataStore.DatabaseFile), Connection = LiteDB.ConnectionType.Direct });
            var metrics = file.GetCollection("run_metrics");
            Assert.True(metrics.DropIndex("run_step"));
            foreach (var document in repeated) metrics.Insert(document);
        }

        using var reopened = backend.Open(folder);
        Assert.Equal([Step(1, loss: 0.9), Step(2, loss: 0.7)], reopened.Runs.Metrics(run.Id));
        Assert.Throws<DuplicateStepException>(() => reopened.Runs.AddMetric(run.Id, Step(2)));
    }

    [Fact]
    public void A_run_keeps_its_settings_estimate_status_and_metrics_across_a_reopen_and_follows_its_dataset_s_name()
    {
        var settings = new RunRequest { LearningRate = 1.5e-5, NumTrainEpochs = 2.5 };
        var estimate = new RunEstimate(1L << 34, 1L << 33, 1L << 20, 1L << 30, 1L << 28, 1L << 26, MemoryMeasure.GpuMemory, 3600.5, 1234.25, true);
        var run = store.Runs.Create("r", dataset, "qwen2", settings, estimate, style: "古风");
        Assert.Equal(Path.Combine(folder, "runs", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), run.OutputDir);
        store.Runs.SetJob(run.Id, "job-7");
        store.Runs.MarkRunning(run.Id, "training");
        store.Runs.AddMetric(run.Id, Step(1));
        store.Runs.MarkFinished(run.Id, RunStatus.Completed, "done");
        store.Rename("pairs", "古风 pairs");
        store.Dispose();

        using var reopened = backend.Open(folder);
        var back = reopened.Runs.Get(run.Id);
        Assert.Equal(("古风 pairs", "job-7", RunStatus.Completed, "done", "古风"), (back.DatasetName, back.JobId, back.Status, back.Message, back.Style));
        Assert.Equal((1.5e-5, 2.5), (back.Settings.LearningRate, back.Settings.NumTrainEpochs));
        Assert.Equal(estimate, back.Estimate);
        Assert.True(back.FinishedUtc >= back.StartedUtc && back.StartedUtc >= back.CreatedUtc);
        Assert.Equal(DateTimeKind.Utc, back.CreatedUtc.Kind);
        Assert.Equal([Step(1)], reopened.Runs.Metrics(run.Id));
        Assert.Equal([run.Id], reopened.Runs.All().Select(r => r.Id));
        Assert.Contains("no run with id 99", Assert.Throws<ArgumentException>(() => reopened.Runs.MarkRunning(99, "x")).Message);
    }
}

public sealed class RunStoreTestsOnLiteDb() : RunStoreTests(new LiteDbBackend());

public sealed class RunStoreTestsOnPostgres(PostgresTestDatabase database) : RunStoreTests(database.Backend()), IClassFixture<PostgresTestDatabase>;
