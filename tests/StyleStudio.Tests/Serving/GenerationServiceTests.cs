using System.Text.Json;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Serving;

namespace StyleStudio.Tests.Serving;

/// <summary>
/// The application layer end to end on a models folder holding the tiny base and three adapters saved by real PEFT
/// (LoRA r4, LoRA r8, DoRA): concurrent greedy requests for the base and every adapter, batched together, give exactly
/// the tokens PEFT's own generate() gave (Fixtures/serving/reference.json, tools/reference/make_serving_reference.py),
/// and the prompts are laid out token for token as the reference laid them out.
/// </summary>
public sealed class GenerationServiceTests : IDisposable
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    readonly string folder = Directory.CreateTempSubdirectory("serving-").FullName;
    readonly DataStore store;
    readonly ModelHost host;
    readonly GenerationService service;

    public GenerationServiceTests()
    {
        string models = Path.Combine(folder, "models");
        AdapterModelsFolder.Create(models);
        store = DataStore.Open(Path.Combine(folder, "data"));
        host = new ModelHost(new ServingOptions { Rows = 8, SlotTokens = 256 }, new StyleStudio.Training.ModelLoadOptions(DevicePreference.Cpu));
        service = new GenerationService(host, new StudioModelDirectory(() => models, store));
    }

    static JsonElement Reference() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "serving", "reference.json"))).RootElement;

    [Fact]
    public async Task Concurrent_greedy_requests_for_the_base_and_three_peft_adapters_equal_pefts_own_output()
    {
        var reference = Reference();
        var messages = reference.GetProperty("messages").EnumerateArray().Select(m => m.GetString()!).ToList();
        int maxTokens = reference.GetProperty("max_new_tokens").GetInt32();
        var ids = new Dictionary<string, string> { ["base"] = "qwen2", ["lora-r4"] = "qwen2:lora-r4", ["lora-r8"] = "qwen2:lora-r8", ["dora-r4"] = "qwen2:dora-r4" };
        Assert.Superset(ids.Values.ToHashSet(), service.Models().Where(m => m.Problem is null).Select(m => m.Id).ToHashSet());

        var jobs = ids.SelectMany(pair => messages.Select((message, i) => (Key: pair.Key, Prompt: i, Task: Generate(pair.Value, message, maxTokens)))).ToList();
        foreach (var (key, prompt, task) in jobs)
        {
            var (promptIds, output) = await task;
            Assert.Equal(reference.GetProperty("prompt_ids")[prompt].EnumerateArray().Select(e => e.GetInt32()), promptIds);
            var expected = reference.GetProperty("outputs").GetProperty(key)[prompt].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
            Assert.True(expected.SequenceEqual(output.Tokens.Select(t => t.Id)), $"{key}, prompt {prompt}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", output.Tokens.Select(t => t.Id))}]");
        }
    }

    async Task<(int[] PromptIds, GenerationFinished Output)> Generate(string model, string message, int maxTokens)
    {
        using var prepared = await service.PrepareAsync(new GenerationRequest
        {
            Model = model, Messages = [new ChatTurn("user", message)], Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = maxTokens },
        }, Cancel);
        return ([.. prepared.PromptIds], await prepared.CompleteAsync(cancellation: Cancel));
    }

    [Fact]
    public async Task Unknown_models_broken_adapters_and_overlong_requests_are_refused_with_the_reason()
    {
        var unknown = await Assert.ThrowsAsync<ModelNotFoundException>(() => service.GenerateAsync(new GenerationRequest { Model = "gpt-4", Prompt = "hi" }, Cancel));
        Assert.Contains("qwen2:lora-r4", unknown.Message);
        var orphan = await Assert.ThrowsAsync<ArgumentException>(() => service.GenerateAsync(new GenerationRequest { Model = "Qwen2.5-0.5B-Instruct:orphan", Prompt = "hi" }, Cancel));
        Assert.Contains("Qwen2.5-0.5B-Instruct", orphan.Message);
        var tooLong = await Assert.ThrowsAsync<ContextLengthException>(() => service.GenerateAsync(new GenerationRequest
        {
            Model = "qwen2", Prompt = "hello", Sampling = new SamplingOptions { MaxNewTokens = 400 },
        }, Cancel));
        Assert.Contains("256", tooLong.Message);
        var order = await Assert.ThrowsAsync<ArgumentException>(() => service.GenerateAsync(new GenerationRequest
        {
            Model = "qwen2", Messages = [new ChatTurn("user", "a"), new ChatTurn("user", "b")],
        }, Cancel));
        Assert.Contains("alternate", order.Message);
    }

    [Fact]
    public async Task A_stop_string_ends_the_text_before_it_and_frees_the_slot()
    {
        var free = await service.GenerateAsync(new GenerationRequest
        {
            Model = "qwen2:lora-r8", Messages = [new ChatTurn("user", "Tell me a story.")], Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 20 },
        }, Cancel);
        Assert.True(free.Text.Length > 6, free.Text);
        string stop = free.Text.Substring(free.Text.Length / 2, 2);
        var stopped = await service.GenerateAsync(new GenerationRequest
        {
            Model = "qwen2:lora-r8", Messages = [new ChatTurn("user", "Tell me a story.")],
            Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 20, StopStrings = [stop] },
        }, Cancel);
        Assert.Equal(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.Equal(FinishReason.StopString, stopped.Reason);
        Assert.Equal(0, host.Loaded.Single().Engine.Load.Running);
    }

    [Fact]
    public async Task Requests_for_three_bases_on_a_host_that_keeps_one_switch_models_under_load_and_each_equals_its_run_alone()
    {
        string[] architectures = ["qwen2", "qwen3", "llama3"];
        string[] prompts = ["Once upon a time", "The weather today", "In a quiet village", "He said that"];
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 10 };
        var expected = new Dictionary<(string, string), string>();
        foreach (var architecture in architectures)
        {
            using var model = StyleStudio.Training.PretrainedModel.Load(Fixtures.Model(architecture),
                new StyleStudio.Training.ModelLoadOptions(DevicePreference.Cpu, TorchSharp.torch.ScalarType.Float32));
            foreach (var prompt in prompts) expected[(architecture, prompt)] = new TextGenerator(model).Generate(prompt, options, cancellation: Cancel).Text;
        }

        // One base at a time: every switch waits for the loaded one to fall idle, unloads it and loads the next.
        using var switching = new ModelHost(new ServingOptions { Rows = 4, SlotTokens = 128, MaxLoadedBases = 1 },
            new StyleStudio.Training.ModelLoadOptions(DevicePreference.Cpu));
        var directory = new FixedModelDirectory([.. architectures.Select(a => new ServableModel(a, a, Fixtures.Model(a)))]);
        var service = new GenerationService(switching, directory);
        var requests = Enumerable.Range(0, 36).Select(i => (Model: architectures[i / 3 % 3], Prompt: prompts[i % prompts.Length])).ToList();
        var results = await Task.WhenAll(requests.Select(r => Task.Run(() => service.GenerateAsync(new GenerationRequest
        {
            Model = r.Model, Prompt = r.Prompt, Sampling = options,
        }, Cancel), Cancel)));
        for (int i = 0; i < requests.Count; i++) Assert.Equal(expected[requests[i]], results[i].Text);
        Assert.True(switching.Loaded.Count <= 1);
    }

    public void Dispose()
    {
        host.Dispose();
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
