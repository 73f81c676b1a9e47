using System.Text.RegularExpressions;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Reports;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// An evaluation outlives the studio process: one left running by a previous process is picked up at startup, SIGTERM
/// mid-way puts it back in the queue (exit 0), and the next start finishes it.
/// </summary>
public partial class EvaluationRestartTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_evaluation_interrupted_by_sigterm_finishes_after_the_restart()
    {
        string data = Directory.CreateTempSubdirectory("studio-evaluation-restart-").FullName;
        int id;
        using (var store = DataStore.Open(data))
        {
            var rows = DatasetImporter.ReadAll(Path.Combine(Fixtures.RepositoryRoot(), "samples", "modern-to-classical.jsonl")).Rows;
            var dataset = store.Create("classical", rows, "test");
            id = store.Evaluations.Create("long", new EvaluationSettings("classical", "qwen2", "qwen", 300, 256), dataset.Version).Id;
            store.Evaluations.Start(id, 300);   // as a killed process leaves it
        }
        string command = $"dotnet StyleStudio.Web.dll --Studio:ModelsFolder={Path.Combine(Fixtures.Root, "models")}";

        await using (var studio = await StudioProcess.StartAsync(command, AppContext.BaseDirectory, TimeSpan.FromMinutes(2), data, keepDataFolder: true))
        {
            using var http = new HttpClient { BaseAddress = studio.Address };
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (RowsShown(await http.GetStringAsync($"/evaluation/{id}", Cancel)) < 8)
            {
                Assert.True(DateTime.UtcNow < deadline, "the evaluation did not reach 8 rows:\n" + studio.Output);
                await Task.Delay(200, Cancel);
            }
            Assert.True(await studio.TerminateAsync(TimeSpan.FromSeconds(20)) == 0, studio.Output);
        }
        using (var store = DataStore.Open(data))
        {
            var interrupted = store.Evaluations.Get(id);
            Assert.Equal(EvaluationStatus.Queued, interrupted.Status);
            Assert.Contains("interrupted", interrupted.Message);
        }

        await using (var studio = await StudioProcess.StartAsync(command, AppContext.BaseDirectory, TimeSpan.FromMinutes(2), data, keepDataFolder: true))
        {
            using var http = new HttpClient { BaseAddress = studio.Address };
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            while (!(await http.GetStringAsync($"/evaluation/{id}", Cancel)).Contains(">Completed<"))
            {
                Assert.True(DateTime.UtcNow < deadline, "the evaluation did not complete after the restart:\n" + studio.Output);
                await Task.Delay(500, Cancel);
            }
            await studio.TerminateAsync(TimeSpan.FromSeconds(20));
        }
        using (var store = DataStore.Open(data))
        {
            var done = store.Evaluations.Get(id);
            Assert.Equal(EvaluationStatus.Completed, done.Status);
            var report = ReportJson.Read(done.ReportJson!);
            Assert.Equal(300, report.Rows.Count);
            Assert.NotNull(report.Classifier);
            Assert.NotNull(report.Overall.FluentShare);     // the model judged fluency
            Assert.NotNull(report.Overall.Joint);
        }
        Directory.Delete(data, recursive: true);
    }

    static int RowsShown(string html) => RowsDone().Match(html) is { Success: true } match ? int.Parse(match.Groups[1].Value) : 0;

    [GeneratedRegex(@"(\d+) / 300 rows")]
    private static partial Regex RowsDone();
}
