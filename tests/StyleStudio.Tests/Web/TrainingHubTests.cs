using StyleStudio.Training.Runtime;
using System.Net;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The training hub (/hubs/training) from a real SignalR client: a subscriber to a real run gets its steps, status
/// changes and completion as the run page's own <see cref="RunUpdate"/>; an unknown run is refused with the reason; the
/// hub admits clients as the API does (a key when keys are configured, else this machine).
/// </summary>
[Collection(StudioServer.Collection)]
public class TrainingHubTests
{
    const string Key = "sk-hub-test-7";

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static readonly DatasetRow[] Pairs =
    [
        new() { Instruction = "formal: Good morning.", Output = "morning!" },
        new() { Instruction = "formal: Thank you kindly.", Output = "thx!" },
    ];

    static HubConnection Connect(StudioServer studio, string? key) => new HubConnectionBuilder()
        .WithUrl(new Uri(studio.Address, "/hubs/training"), options => options.AccessTokenProvider = () => Task.FromResult(key))
        .AddJsonProtocol(json => json.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
        .Build();

    [Fact]
    public async Task A_subscriber_receives_a_real_runs_steps_status_changes_and_completion()
    {
        await using var studio = new StudioServer(settings: new Dictionary<string, string> { ["Studio:ApiKeys:0"] = Key });
        await using var hub = Connect(studio, Key);
        var pushed = Channel.CreateUnbounded<RunUpdate>();
        hub.On<RunUpdate>("RunUpdate", update => pushed.Writer.TryWrite(update));
        await hub.StartAsync(Cancel);

        var unknown = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<List<RunUpdate>>("Subscribe", 999, Cancel));
        Assert.Contains("there is no run 999", unknown.Message);

        studio.Services.GetRequiredService<DataStore>().Create("casual", Pairs, "test");
        var run = studio.Services.GetRequiredService<TrainingRuns>().Start("hub", "casual", "qwen2", new RunRequest
        {
            NumTrainEpochs = 4, PerDeviceTrainBatchSize = 2, GradientAccumulationSteps = 1, Device = DevicePreference.Cpu, Precision = ComputePrecision.Float32,
        });
        // The answer is the run so far (the job may have begun), in the same updates the hub pushes afterwards.
        var sofar = await hub.InvokeAsync<List<RunUpdate>>("Subscribe", run.Id, Cancel);
        Assert.NotNull(sofar[^1].Status);

        var received = new List<RunUpdate>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        await foreach (var update in pushed.Reader.ReadAllAsync(limit.Token))
        {
            Assert.Equal(run.Id, update.RunId);
            received.Add(update);
            if (update.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) break;
        }

        var statuses = received.Where(u => u.Status is not null).Select(u => u.Status!.Value).ToList();
        Assert.Equal(RunStatus.Completed, statuses[^1]);
        Assert.Contains(RunStatus.Running, statuses);
        var steps = received.Where(u => u.Metric is not null).Select(u => u.Metric!).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, m => Assert.True(m.TotalSteps == 4 && double.IsFinite(m.Loss) && m.Loss > 0, $"step {m.Step}: loss {m.Loss} of {m.TotalSteps}"));   // 4 epochs of one batch
        Assert.Equal([1, 2, 3, 4], sofar.Concat(received).Where(u => u.Metric is not null).Select(u => u.Metric!.Step).Distinct().Order());
        // Pushed steps come in order, and equal what the run page reads from the store.
        Assert.Equal(steps.Select(m => m.Step).Order(), steps.Select(m => m.Step));
        Assert.Equal(studio.Services.GetRequiredService<DataStore>().Runs.Metrics(run.Id).TakeLast(steps.Count), steps);

        await hub.InvokeAsync("Unsubscribe", run.Id, Cancel);
    }

    [Fact]
    public async Task With_keys_a_missing_or_wrong_key_is_refused_with_401()
    {
        await using var studio = new StudioServer(settings: new Dictionary<string, string> { ["Studio:ApiKeys:0"] = Key });
        foreach (var key in new[] { null, "sk-wrong" })
        {
            await using var hub = Connect(studio, key);
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync(Cancel));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // Browsers' SignalR clients send the key as access_token in the query string.
        using var client = new HttpClient { BaseAddress = studio.Address };
        var negotiate = await client.PostAsync($"/hubs/training/negotiate?negotiateVersion=1&access_token={Key}", null, Cancel);
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        var wrong = await client.PostAsync("/hubs/training/negotiate?negotiateVersion=1&access_token=sk-wrong", null, Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("invalid_api_key", await wrong.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Without_keys_the_hub_answers_this_machine()
    {
        await using var studio = new StudioServer();
        await using var hub = Connect(studio, null);
        await hub.StartAsync(Cancel);
        var unknown = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<List<RunUpdate>>("Subscribe", 1, Cancel));
        Assert.Contains("there is no run 1", unknown.Message);
    }
}
