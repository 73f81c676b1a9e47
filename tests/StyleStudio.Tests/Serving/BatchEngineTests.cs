using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Serving;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Serving;

/// <summary>
/// The continuous-batching engine against the single-request generator (itself held to transformers' generate): every
/// request in a mixed batch — different lengths, adapters, strengths, sampling settings, joining while others run —
/// gets exactly the tokens it gets alone. Adapters are PEFT's own files, compared with the unmerged LoRA/DoRA layers.
/// On the CPU here; <see cref="CudaBatchEngineTests"/> runs every test again on CUDA.
/// </summary>
public class BatchEngineTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected virtual PretrainedModel Load(string name) =>
        PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    /// <summary>The engine under test, with the options a subclass adds (pipelined steps).</summary>
    protected virtual BatchEngine Engine(PretrainedModel model, EngineOptions options) => new(model.Network, options);

    static readonly int[][] Prompts = Enumerable.Range(0, 7)
        .Select(i => Enumerable.Range(0, 2 + 19 * i).Select(t => (t * 31 + i * 7) % 400 + 5).ToArray())
        .ToArray();

    static List<int> Alone(PretrainedModel model, int[] prompt, SamplingOptions options) =>
        TokenGenerator.Generate(model.Network, [prompt], options, [], Cancel).Select(step => (int)step[0]).ToList();

    static async Task<List<int>> Collect(EngineGeneration generation)
    {
        var ids = new List<int>();
        await foreach (var token in generation.Tokens.ReadAllAsync(Cancel)) ids.Add(token.Id);
        await generation.Completion;
        return ids;
    }

    static SamplingOptions Greedy(int tokens) => new() { Temperature = 0, MaxNewTokens = tokens };

    /// <summary>
    /// PEFT's DoRA fixture with its magnitudes moved off their starting point: PEFT starts m at ‖W + s·B·A‖, where
    /// DoRA equals LoRA (g = 1), so an untrained DoRA adapter would not tell a wrong magnitude term apart.
    /// </summary>
    static string TrainedDora(string model = "qwen2")
    {
        string folder = Directory.CreateTempSubdirectory("dora-").FullName;
        string source = PeftFolder(model, "dora");
        File.Copy(Path.Combine(source, PeftAdapter.ConfigFile), Path.Combine(folder, PeftAdapter.ConfigFile));
        using var file = new StyleStudio.Training.Checkpoints.SafetensorsFile(Path.Combine(source, PeftAdapter.WeightsFile));
        var generator = new Generator(7);
        var tensors = file.Entries.Values.ToDictionary(e => e.Name, e =>
        {
            var t = empty(e.Shape, e.DType);
            file.ReadInto(e.Name, t);
            return e.Name.EndsWith("lora_magnitude_vector", StringComparison.Ordinal) ? t * (0.6 + 0.8 * rand(e.Shape, generator: generator)) : t;
        });
        StyleStudio.Training.Checkpoints.SafetensorsWriter.Write(Path.Combine(folder, PeftAdapter.WeightsFile), tensors);
        return folder;
    }

    /// <summary>A request's first token comes from its prompt pass, each later one from a decode step; pipelined, no step
    /// is queued past the last token a request asked for, where it would hold up the next request's prompt pass.</summary>
    [Fact]
    public async Task No_step_is_queued_past_a_requests_last_token()
    {
        using var model = Load("qwen2");
        using var engine = Engine(model, new EngineOptions(Rows: 2, SlotTokens: 128));
        var sampled = Greedy(5) with { Temperature = 0.8, Seed = 3 };
        long before = engine.StepsQueued;
        foreach (var (options, tokens) in new[] { (Greedy(6), 6), (Greedy(1), 1), (sampled, 5), (Greedy(6), 6) })
        {
            Assert.Equal(tokens, (await Collect(engine.Submit(new EngineRequest(Prompts[1], [], options), Cancel))).Count);
            Assert.Equal(tokens - 1, engine.StepsQueued - before);
            before = engine.StepsQueued;
        }
        // A request that fills its slot to the last position.
        var longPrompt = Enumerable.Range(0, 120).Select(t => t % 300 + 5).ToArray();
        Assert.Equal(8, (await Collect(engine.Submit(new EngineRequest(longPrompt, [], Greedy(8)), Cancel))).Count);
        Assert.Equal(7, engine.StepsQueued - before);
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    [InlineData("mistral")]
    [InlineData("glm")]
    [InlineData("glm4")]
    public async Task Greedy_requests_batched_with_others_equal_each_run_alone(string architecture)
    {
        using var model = Load(architecture);
        var expected = Prompts.Select(p => Alone(model, p, Greedy(16))).ToList();
        // Fewer slots than requests: later ones wait, then join a batch already decoding.
        using var engine = Engine(model, new EngineOptions(Rows: 4, SlotTokens: 256));
        var generations = Prompts.Select((p, i) => engine.Submit(new EngineRequest(p, [], Greedy(16 - i)), Cancel)).ToList();
        for (int i = 0; i < Prompts.Length; i++)
            Assert.Equal(expected[i].Take(16 - i), await Collect(generations[i]));
        Assert.Equal(0, engine.Load.Running);
    }

    /// <summary>PEFT's adapter fixtures: on Qwen2 (lora, rslora, dora) and on GLM-4 (lora, dora; gate_up_proj fused).</summary>
    static string PeftFolder(string model, string variant) => Path.Combine(Fixtures.Root, model == "qwen2" ? "peft" : "peft-" + model, variant);

    /// <remarks>Without a DoRA adapter attached the pass takes plain LoRA's own path (updates added onto the base outputs in
    /// place), which is what most servers run: hence the cases without one.</remarks>
    [Theory]
    [InlineData("qwen2", true)]
    [InlineData("qwen2", false)]
    [InlineData("glm4", true)]
    [InlineData("glm4", false)]
    public async Task Lora_rslora_and_dora_rows_in_one_batch_equal_pefts_unmerged_layers_alone(string name, bool dora)
    {
        string[] variants = [.. (name == "qwen2" ? ["lora", "rslora", "dora"] : new[] { "lora", "dora" }).Where(v => dora || v != "dora")];
        var folders = variants.ToDictionary(v => v, v => v == "dora" ? TrainedDora(name) : PeftFolder(name, v));
        var options = Greedy(12);
        var expected = new Dictionary<string, List<int>[]>();
        using (var plain = Load(name)) expected["base"] = Prompts.Select(p => Alone(plain, p, options)).ToArray();
        foreach (var variant in variants)
        {
            using var adapted = Load(name);
            PeftAdapter.Load(adapted.Network, folders[variant]);
            expected[variant] = Prompts.Select(p => Alone(adapted, p, options)).ToArray();
        }
        Assert.NotEqual(expected["base"][3], expected["lora"][3]);
        if (dora) Assert.NotEqual(expected["lora"][3], expected["dora"][3]);

        using var model = Load(name);
        using var engine = Engine(model, new EngineOptions(Rows: 8, SlotTokens: 256));
        foreach (var variant in variants) await engine.AttachAsync(variant, folders[variant]);
        string[] mix = ["base", .. variants];
        var requests = Prompts.SelectMany((p, i) => mix.Select((adapter, j) => (Prompt: i, Adapter: mix[(i + j) % mix.Length]))).ToList();
        var generations = requests.Select(r => engine.Submit(new EngineRequest(Prompts[r.Prompt], [], options)
            { Adapter = r.Adapter == "base" ? null : r.Adapter }, Cancel)).ToList();
        for (int i = 0; i < requests.Count; i++)
            Assert.Equal(expected[requests[i].Adapter][requests[i].Prompt], await Collect(generations[i]));
    }

    [Fact]
    public async Task A_row_computes_the_same_log_probabilities_alone_and_beside_any_number_of_others()
    {
        // Equal tokens can hide unequal arithmetic until a near-tie: the log-probabilities must be equal to the bit. Found
        // as the playground's side-by-side columns (three rows) parting from the API's answers (one row) now and then:
        // libtorch's CPU GEMM rounds one, two or three rows differently from four, and a prompt padded to a longer
        // neighbour's width differently from alone.
        using var model = Load("qwen2");
        if (model.Network.Device.type != TorchSharp.DeviceType.CPU) Assert.Skip("on CUDA cuBLAS picks kernels by batch size: equal text is tested there");
        using var engine = Engine(model, new EngineOptions(Rows: 8, SlotTokens: 256));
        async Task<List<(int Id, float? Logprob)>> Beside(int others, bool mineFirst)
        {
            EngineGeneration Mine() => engine.Submit(new EngineRequest(Prompts[0], [], Greedy(12)) { TopLogprobs = 0 }, Cancel);
            var mine = mineFirst ? Mine() : null;
            var side = Prompts.Skip(1).Take(others).Select(p => engine.Submit(new EngineRequest(p, [], Greedy(12)), Cancel)).ToList();
            mine ??= Mine();
            var tokens = await mine.Tokens.ReadAllAsync(Cancel).Select(t => (t.Id, t.Logprob)).ToListAsync(Cancel);
            foreach (var other in side) await Collect(other);
            return tokens;
        }
        var alone = await Beside(0, mineFirst: true);
        foreach (int others in new[] { 1, 2, 3, 5, 6 })
        {
            Assert.Equal(alone, await Beside(others, mineFirst: false));
            Assert.Equal(alone, await Beside(others, mineFirst: true));
        }
    }

    [Fact]
    public async Task A_row_computes_the_same_log_probabilities_whatever_else_is_attached()
    {
        // A style's text must not depend on what else the server has loaded. Found as the playground's side-by-side
        // columns (the other adapters attached while the first column decoded) parting from the API's answers now and
        // then: the bank's rank axis grew from 8 to 12 columns, and libtorch's CPU GEMM takes another kernel below 16
        // (BatchInvariance.MinimumColumns); a DoRA adapter attached anywhere takes every row through DoRA's form; and an
        // adapter attached again sits elsewhere on the axis.
        using var model = Load("qwen2");
        if (model.Network.Device.type != TorchSharp.DeviceType.CPU) Assert.Skip("on CUDA cuBLAS picks kernels by size: equal text is tested there");
        using var engine = Engine(model, new EngineOptions(Rows: 4, SlotTokens: 256));
        async Task<List<(int Id, float? Logprob)>> Run(string? adapter) =>
            await engine.Submit(new EngineRequest(Prompts[3], [], Greedy(12)) { Adapter = adapter, TopLogprobs = 0 }, Cancel)
                .Tokens.ReadAllAsync(Cancel).Select(t => (t.Id, t.Logprob)).ToListAsync(Cancel);
        await engine.AttachAsync("lora", PeftFolder("qwen2", "lora"));
        var lora = await Run("lora");
        var baseRow = await Run(null);
        await engine.AttachAsync("rslora", PeftFolder("qwen2", "rslora"));
        Assert.Equal(lora, await Run("lora"));
        Assert.Equal(baseRow, await Run(null));
        await engine.AttachAsync("dora", TrainedDora());
        Assert.Equal(lora, await Run("lora"));
        Assert.Equal(baseRow, await Run(null));
        await engine.DetachAsync("lora");                   // attached again, its block now after the others'
        await engine.AttachAsync("lora", PeftFolder("qwen2", "lora"));
        Assert.Equal(lora, await Run("lora"));
        Assert.NotEqual(lora, await Run("dora"));
    }

    [Fact]
    public async Task Adapters_attached_while_rows_decode_change_no_row()
    {
        // The playground's side-by-side columns: the base decodes while the adapters load, each adapter's row joins once
        // its adapter is attached — the bank's columns laid out again under the running rows — and every row must give
        // what it gives alone with everything attached, to the bit (log-probabilities), with the playground's settings.
        using var model = Load("qwen2");
        if (model.Network.Device.type != TorchSharp.DeviceType.CPU) Assert.Skip("on CUDA cuBLAS picks kernels by size: equal text is tested there");
        using var engine = Engine(model, new EngineOptions(Rows: 8, SlotTokens: 256));
        var options = new SamplingOptions { Temperature = 0, TopP = 0.9, RepetitionPenalty = 1.1, MaxNewTokens = 12, Seed = 3 };
        EngineGeneration Go(string? adapter) =>
            engine.Submit(new EngineRequest(Prompts[3], [], options) { Adapter = adapter, TopLogprobs = 0 }, Cancel);
        async Task<List<(int Id, float? Logprob)>> Read(EngineGeneration generation) =>
            await generation.Tokens.ReadAllAsync(Cancel).Select(t => (t.Id, t.Logprob)).ToListAsync(Cancel);
        Task Attach(string adapter) => engine.AttachAsync(adapter, AdapterModelsFolder.Serving(adapter));
        await Attach("lora-r4");
        await Attach("dora-r4");
        var alone = new Dictionary<string, List<(int, float?)>>
        {
            ["base"] = await Read(Go(null)), ["lora-r4"] = await Read(Go("lora-r4")), ["dora-r4"] = await Read(Go("dora-r4")),
        };
        Assert.Equal(3, alone.Values.Select(tokens => string.Join(",", tokens.Select(t => t.Item1))).Distinct().Count());
        foreach (int delay in new[] { 0, 5, 20 })
        {
            await engine.DetachAsync("dora-r4");
            await engine.DetachAsync("lora-r4");
            var baseRow = Go(null);
            await Attach("lora-r4");
            var loraRow = Go("lora-r4");
            await Task.Delay(delay, Cancel);
            await Attach("dora-r4");
            var doraRow = Go("dora-r4");
            Assert.Equal(alone["base"], await Read(baseRow));
            Assert.Equal(alone["lora-r4"], await Read(loraRow));
            Assert.Equal(alone["dora-r4"], await Read(doraRow));
        }
    }

    [Fact]
    public async Task Prompts_padded_to_fixed_widths_decode_as_they_do_unpadded()
    {
        // What CUDA does by default (fewer shapes to plan), forced here: padding after a prompt must change nothing.
        using var model = Load("qwen2");
        var expected = Prompts.Select(p => Alone(model, p, Greedy(10))).ToList();
        using var engine = Engine(model, new EngineOptions(Rows: 3, SlotTokens: 256, PadPrompts: true));
        var generations = Prompts.Select(p => engine.Submit(new EngineRequest(p, [], Greedy(10)), Cancel)).ToList();
        for (int i = 0; i < Prompts.Length; i++)
            Assert.Equal(expected[i], await Collect(generations[i]));
    }

    [Fact]
    public async Task Strength_zero_is_the_base_and_detaching_leaves_other_adapters_serving()
    {
        using var model = Load("qwen2");
        var baseline = Alone(model, Prompts[2], Greedy(10));
        using var engine = Engine(model, new EngineOptions(Rows: 4, SlotTokens: 128));
        await engine.AttachAsync("lora", Path.Combine(Fixtures.Root, "peft", "lora"));
        await engine.AttachAsync("dora", Path.Combine(Fixtures.Root, "peft", "dora"));
        var loraOutput = await Collect(engine.Submit(new EngineRequest(Prompts[2], [], Greedy(10)) { Adapter = "dora" }, Cancel));
        Assert.Equal(baseline, await Collect(engine.Submit(new EngineRequest(Prompts[2], [], Greedy(10)) { Adapter = "lora", Strength = 0 }, Cancel)));
        await engine.DetachAsync("lora");
        Assert.Equal(["dora"], engine.Adapters.Select(a => a.Name));
        Assert.Equal(loraOutput, await Collect(engine.Submit(new EngineRequest(Prompts[2], [], Greedy(10)) { Adapter = "dora" }, Cancel)));
        Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest(Prompts[2], [], Greedy(10)) { Adapter = "lora" }, Cancel));
    }

    [Fact]
    public async Task A_seeded_sampled_request_gives_the_same_tokens_alone_and_in_a_mixed_batch()
    {
        using var model = Load("qwen2");
        var sampled = new SamplingOptions { Temperature = 0.8, TopK = 40, TopP = 0.9, RepetitionPenalty = 1.3, MaxNewTokens = 20, Seed = 1234 };
        var expected = Alone(model, Prompts[4], sampled);
        using var engine = Engine(model, new EngineOptions(Rows: 4, SlotTokens: 256));
        Assert.Equal(expected, await Collect(engine.Submit(new EngineRequest(Prompts[4], [], sampled), Cancel)));

        var others = Prompts.Take(3).Select((p, i) => engine.Submit(new EngineRequest(p, [], i == 1 ? Greedy(20) : sampled with { Seed = i, TopK = 0 }), Cancel)).ToList();
        var mine = engine.Submit(new EngineRequest(Prompts[4], [], sampled), Cancel);
        Assert.Equal(expected, await Collect(mine));
        foreach (var other in others) await Collect(other);
    }

    [Fact]
    public async Task Cancelling_frees_the_slot_and_stop_ids_end_a_request()
    {
        using var model = Load("qwen2");
        using var engine = Engine(model, new EngineOptions(Rows: 2, SlotTokens: 256));
        using var cancel = new CancellationTokenSource();
        var generation = engine.Submit(new EngineRequest(Prompts[1], [], Greedy(200)), cancel.Token);
        await generation.Tokens.ReadAsync(Cancel);
        cancel.Cancel();
        Assert.Equal(FinishReason.Cancelled, (await generation.Completion).Reason);
        Assert.Equal(0, engine.Load.Running);

        var free = Alone(model, Prompts[1], Greedy(8));
        var stopped = engine.Submit(new EngineRequest(Prompts[1], [free[3]], Greedy(8)), Cancel);
        var ids = await Collect(stopped);
        Assert.Equal(free.TakeWhile(id => id != free[3]), ids);
        Assert.Equal(FinishReason.Eos, (await stopped.Completion).Reason);

        var tooLong = Assert.Throws<ContextLengthException>(() => engine.Submit(new EngineRequest(Prompts[6], [], Greedy(200)), Cancel));
        Assert.Contains("256", tooLong.Message);
    }

    [Fact]
    public async Task A_request_cancelled_while_it_waits_for_a_slot_ends_its_token_stream()
    {
        // Found as a hang: a request cancelled before it got a slot had its outcome set but its token channel left open,
        // so a reader of its tokens (every caller reads them to the end) waited forever.
        using var model = Load("qwen2");
        using var engine = Engine(model, new EngineOptions(Rows: 1, SlotTokens: 256));
        var busy = engine.Submit(new EngineRequest(Prompts[1], [], Greedy(200)), Cancel);   // holds the only slot
        await busy.Tokens.ReadAsync(Cancel);
        using var cancel = new CancellationTokenSource();
        var waiting = engine.Submit(new EngineRequest(Prompts[2], [], Greedy(8)), cancel.Token);
        cancel.Cancel();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        Assert.Empty(await waiting.Tokens.ReadAllAsync(deadline.Token).ToListAsync(deadline.Token));
        Assert.Equal(FinishReason.Cancelled, (await waiting.Completion).Reason);
        await Collect(busy);
        Assert.NotEqual(FinishReason.Cancelled, (await busy.Completion).Reason);             // the running request went on
    }
}

/// <summary>
/// The engine's tests again with each decode step queued before the one before it is read (what CUDA does by default):
/// every request's tokens must be those it gets unpipelined, whatever ends, joins or is cancelled while a step is queued.
/// </summary>
public sealed class PipelinedBatchEngineTests : BatchEngineTests
{
    protected override BatchEngine Engine(PretrainedModel model, EngineOptions options) => new(model.Network, options with { PipelineSteps = true });
}

/// <summary>
/// The engine's tests again on CUDA (GPU box only): decode steps replayed as CUDA graphs, prompts padded to fixed widths,
/// rows alone and batched, seeded sampling, cancellation.
/// </summary>
/// <remarks>Apart from other tests (the collection runs alone): CudaGraphDecodeTests measures the device's memory.</remarks>
[Trait("Category", "Gpu")]
[Collection(TorchGlobalRandom.Name)]
public sealed class CudaBatchEngineTests : BatchEngineTests
{
    protected override PretrainedModel Load(string name)
    {
        if (!TorchSharp.torch.TryInitializeDeviceType(TorchSharp.DeviceType.CUDA) || !TorchSharp.torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        return PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cuda, ScalarType.Float32));
    }
}

/// <summary>The widths prompt passes pad to where padding is on (CUDA): few shapes, little waste.</summary>
public class PromptWidthTests
{
    [Theory]
    [InlineData(1, 2048, 64)]
    [InlineData(64, 2048, 64)]
    [InlineData(65, 2048, 96)]
    [InlineData(97, 2048, 128)]
    [InlineData(129, 2048, 192)]
    [InlineData(300, 2048, 384)]
    [InlineData(513, 2048, 768)]
    [InlineData(1500, 2048, 1536)]
    [InlineData(1600, 1700, 1700)]     // capped at the slot
    [InlineData(40, 50, 50)]
    public void Prompt_widths_come_in_two_sizes_per_doubling(int longest, long slotTokens, int expected) =>
        Assert.Equal(expected, BatchDecoder.PaddedWidth(longest, slotTokens));
}
