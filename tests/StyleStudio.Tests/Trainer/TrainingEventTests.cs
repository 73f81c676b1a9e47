using System.Text.Json;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// One training event from the trainer to every consumer: the store and metrics.jsonl carry every field of
/// <see cref="TrainingEvent"/> as it is, so a metric added to the record reaches them with no other change.
/// </summary>
public sealed class TrainingEventTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("training-event-").FullName;

    /// <summary>Every field away from its default.</summary>
    static readonly TrainingEvent Full = new(7, 40, 0.35, 1.25, 2e-4, 0.75, 1234.5, 61.5, 290.25, EvalLoss: 1.5,
        MemoryBytes: 3L << 33, LossScale: 32768, Skipped: true);

    [Fact]
    public void The_store_keeps_every_field_and_reads_steps_recorded_before_a_field_existed_with_its_default()
    {
        using (var store = DataStore.Open(folder))
        {
            store.Runs.AddMetric(1, Full);
            Assert.Equal([Full], store.Runs.Metrics(1));
        }
        // A step as the studio stored it before loss_scale and skipped were recorded (no such fields in the document).
        using (var file = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(folder, DataStore.DatabaseFile), Connection = LiteDB.ConnectionType.Direct }))
            file.GetCollection("run_metrics").Insert(new LiteDB.BsonDocument
            {
                ["Step"] = 1, ["TotalSteps"] = 2, ["Epoch"] = 0.5, ["Loss"] = 2.0, ["LearningRate"] = 1e-4, ["GradNorm"] = LiteDB.BsonValue.Null,
                ["EvalLoss"] = LiteDB.BsonValue.Null, ["TokensPerSecond"] = 10.0, ["ElapsedSeconds"] = 1.0, ["RemainingSeconds"] = 1.0,
                ["MemoryBytes"] = 5L, ["run"] = 2,
            });
        using var reopened = DataStore.Open(folder);
        Assert.Equal([new TrainingEvent(1, 2, 0.5, 2.0, 1e-4, null, 10, 1, 1, MemoryBytes: 5)], reopened.Runs.Metrics(2));
    }

    [Fact]
    public void A_metrics_file_line_holds_every_field_in_snake_case_and_reads_back_the_same()
    {
        var log = MetricsLog.StartNew(folder);
        log.Report(Full);
        log.Report(Full with { Step = 8, Loss = double.NaN, GradNorm = null });   // a diverged step is recorded, not a crash
        var lines = File.ReadAllLines(log.Path);
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        var names = JsonDocument.Parse(lines[0]).RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(typeof(TrainingEvent).GetProperties().Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).Order(), names.Order());
        Assert.Contains("\"step\":7", lines[0]);
        Assert.Contains("\"elapsed_seconds\":61.5", lines[0]);
        Assert.Equal(Full, JsonSerializer.Deserialize<TrainingEvent>(lines[0], options));
        Assert.True(double.IsNaN(JsonSerializer.Deserialize<TrainingEvent>(lines[1], options)!.Loss));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
