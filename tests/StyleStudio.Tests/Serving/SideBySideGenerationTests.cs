using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;

namespace StyleStudio.Tests.Serving;

/// <summary>
/// One prompt through several models at once (what the playground's side-by-side mode runs): each column streams what
/// that model gives alone, the columns advance together in one batch, and a column that cannot run says why while the
/// others finish.
/// </summary>
public sealed class SideBySideGenerationTests : IDisposable
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    readonly string folder = Directory.CreateTempSubdirectory("side-by-side-").FullName;
    readonly DataStore store;
    readonly ModelHost host;
    readonly GenerationService service;

    public SideBySideGenerationTests()
    {
        string models = Path.Combine(folder, "models");
        AdapterModelsFolder.Create(models);
        store = DataStore.Open(Path.Combine(folder, "data"));
        host = new ModelHost(new ServingOptions { Rows = 8, SlotTokens = 256 }, new StyleStudio.Training.ModelLoadOptions(DevicePreference.Cpu));
        service = new GenerationService(host, new StudioModelDirectory(() => models, store));
    }

    static GenerationRequest Request(string model, int maxTokens = 24) => new()
    {
        Model = model,
        Messages = [new ChatTurn("user", "把这句话改写得更正式：我们明天见。")],
        Sampling = new SamplingOptions { Temperature = 0, RepetitionPenalty = 1.1, MaxNewTokens = maxTokens },
    };

    [Fact]
    public async Task Each_column_streams_what_its_model_gives_alone_and_a_bad_column_says_why()
    {
        GenerationRequest[] requests = [Request("qwen2"), Request("qwen2:lora-r8"), Request("qwen2:no-such-adapter"), Request("qwen2:dora-r4", maxTokens: 1000)];
        var events = new List<ColumnEvent>();
        await foreach (var e in service.StreamSideBySideAsync(requests, Cancel)) events.Add(e);

        foreach (int column in new[] { 0, 1 })
        {
            var mine = events.Where(e => e.Column == column).Select(e => e.Event).ToList();
            var finished = Assert.IsType<GenerationFinished>(mine[^1]);
            Assert.Equal(finished.Text, string.Concat(mine.OfType<GenerationDelta>().Select(d => d.Text)));
            var alone = await service.GenerateAsync(requests[column], Cancel);
            Assert.Equal(alone.Text, finished.Text);
            Assert.Equal(alone.Tokens.Select(t => t.Id), finished.Tokens.Select(t => t.Id));
        }
        // Batched together: both columns had text before either finished.
        int firstEnd = events.FindIndex(e => e.Event is GenerationFinished);
        Assert.All(new[] { 0, 1 }, column => Assert.Contains(events.Take(firstEnd), e => e.Column == column && e.Event is GenerationDelta));

        var unknown = Assert.IsType<GenerationFailed>(Assert.Single(events, e => e.Column == 2).Event);
        Assert.StartsWith("no model 'qwen2:no-such-adapter'; available: ", unknown.Message);
        var tooLong = Assert.IsType<GenerationFailed>(Assert.Single(events, e => e.Column == 3).Event);
        Assert.Contains("1000", tooLong.Message);

        await Assert.ThrowsAsync<ArgumentException>(async () => { await foreach (var _ in service.StreamSideBySideAsync([], Cancel)) { } });
    }

    [Fact]
    public async Task Cancelling_ends_every_column()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var finished = new Dictionary<int, GenerationFinished>();
        await foreach (var e in service.StreamSideBySideAsync([Request("qwen2", 150), Request("qwen2:lora-r4", 150)], stop.Token))
        {
            Assert.False(e.Event is GenerationFailed, (e.Event as GenerationFailed)?.Message);
            if (e.Event is GenerationDelta) stop.Cancel();
            if (e.Event is GenerationFinished f) finished[e.Column] = f;
        }
        Assert.Equal([0, 1], finished.Keys.Order());
        Assert.All(finished.Values, f => Assert.True(f.Reason == FinishReason.Cancelled && f.CompletionTokens < 150, $"{f.Reason} after {f.CompletionTokens} tokens"));
    }

    public void Dispose()
    {
        host.Dispose();
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
