using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Tests.Pairs;

/// <summary>A generation outlives the studio process: one a killed process left running is queued again at startup and
/// starts over (its half-done items gone), then ends as any other.</summary>
[Collection(StudioServer.Collection)]
public sealed class PairGenerationRestartTests
{
    [Fact]
    public async Task A_generation_left_running_starts_over_when_the_studio_starts()
    {
        string data = Directory.CreateTempSubdirectory("studio-pairs-restart-").FullName;
        int id;
        using (var store = DataStore.Open(data))
        {
            store.Corpora.Create("classics", "古风", "classics.txt", ["吾甚念远方故人。", "山色空蒙雨亦奇。"], "paragraphs");
            var settings = new PairGenerationSettings(PairSourceKind.Corpus, "classics", new PairRewriter("qwen2"), PairPrompt.Chinese, 0, 8, 2,
                new PairFilterSettings { MinLengthRatio = 0, MaxLengthRatio = 1000, MinSimilarity = 0 }, "restarted", "古风", "改写成古风：");
            id = store.PairGenerations.Create(settings).Id;
            store.PairGenerations.Start(id, 2);   // as a killed process leaves it: running, one item done
            store.PairGenerations.Add(id, new PairItem(1, "吾甚念远方故人。", "stale", null, null, 0));
        }

        await using (var studio = new StudioServer(dataFolder: data))
        {
            var generations = studio.Services.GetRequiredService<PairGenerations>();
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var watch = studio.Services.GetRequiredService<PairGenerationEvents>().Subscribe(u =>
            {
                if (u.GenerationId == id && u.Status is not (PairGenerationStatus.Queued or PairGenerationStatus.Running)) ended.TrySetResult();
            });
            if (generations.Get(id).Status is PairGenerationStatus.Queued or PairGenerationStatus.Running)
                await ended.Task.WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);   // a bound for a failure, not a speed

            var record = generations.Get(id);
            Assert.Equal(PairGenerationStatus.Completed, record.Status);
            Assert.Equal(2, record.Done);
            var items = generations.Items(id);
            Assert.Equal([1, 2], items.Select(i => i.Number));
            Assert.DoesNotContain(items, i => i.Plain == "stale");
        }
        Directory.Delete(data, recursive: true);
    }
}
