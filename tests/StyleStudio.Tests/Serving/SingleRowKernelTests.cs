using System.Numerics;
using System.Text.Json.Nodes;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Runtime.Kernels;
using StyleStudio.Training.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Serving;

/// <summary>
/// The single stream's decode kernels (<see cref="SingleRowDecoder"/>, compiled with NVRTC) against the op sequence they
/// replace (serve_step's decode): the same prompt prefilled into both, then step after step fed the same tokens, the
/// logits compared — fp32 to float rounding, bf16/fp16 to the few units in the last place that fp32 sums in another
/// order move — in both forms of the kernels: five a layer, and the whole step as one persistent kernel. Over the architectures the kernels take (Qwen2 with q|k|v biases, Llama 3, Mistral with its sliding
/// window), Qwen2.5-0.5B's and 7B's layer shapes, cache positions across the attention's chunks, eager and replayed from
/// a CUDA graph; and whole requests through the engine against the generator held to transformers.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class SingleRowKernelTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static void RequireCuda()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        Assert.True(RuntimeKernel.Unavailable is null, RuntimeKernel.Unavailable);
    }

    static ScalarType DType(string name) => name switch
    {
        "bf16" => ScalarType.BFloat16,
        "f16" => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    [Theory]
    [InlineData("qwen2", "f32", 5, true)]
    [InlineData("qwen2", "bf16", 130, false)]     // the attention's second chunk
    [InlineData("qwen2", "f16", 40, true)]
    [InlineData("llama3", "f32", 200, false)]
    [InlineData("llama3", "bf16", 17, true)]
    [InlineData("mistral", "f32", 20, true)]      // sliding window of 8
    [InlineData("mistral", "bf16", 140, false)]
    public void Fixture_models_step_as_the_op_sequence_does(string name, string dtype, int promptLength, bool graphs)
    {
        RequireCuda();
        using var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cuda, DType(dtype)));
        CompareSteps(model.Network, promptLength, steps: 6, graphs);
    }

    /// <summary>Real layer shapes (fewer layers, a smaller vocabulary where the head's size does not matter): head dims
    /// 64 and 128, 7 and 14 query heads per KV head, biases on q|k|v, and a sliding window cut across chunks.</summary>
    [Theory]
    [InlineData("0.5b", "bf16", 200, true)]
    [InlineData("0.5b", "f16", 300, false)]
    [InlineData("7b", "bf16", 300, true)]
    [InlineData("7b", "f32", 100, false)]                  // 7B's shape to float rounding
    [InlineData("7b-window", "bf16", 300, true)]
    [InlineData("7b-window", "bf16", 1000, true, 8192)]    // a long slot: 128-token chunks, 64 of them
    public void Real_layer_shapes_step_as_the_op_sequence_does(string shape, string dtype, int promptLength, bool graphs, int slotTokens = 512)
    {
        RequireCuda();
        using var model = RandomModel(shape, DType(dtype));
        CompareSteps(model, promptLength, steps: 4, graphs, slotTokens);
    }

    [Theory]
    [InlineData("qwen2", false)]
    [InlineData("qwen2", true)]
    [InlineData("llama3", false)]
    [InlineData("mistral", true)]
    public async Task A_lone_request_through_the_kernels_gives_the_generators_tokens(string name, bool persistent)
    {
        RequireCuda();
        using var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cuda, ScalarType.Float32));
        using var engine = new BatchEngine(model.Network, new EngineOptions(Rows: 4, SlotTokens: 400, PersistentStep: persistent));
        Assert.True(engine.SingleRowKernels);
        Assert.Equal(persistent, engine.PersistentStep);
        foreach (int length in new[] { 3, 70, 250 })
        {
            var prompt = Enumerable.Range(0, length).Select(t => (t * 37 + length) % 500 + 5).ToArray();
            var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 40 };
            var expected = TokenGenerator.Generate(model.Network, [prompt], options, [], Cancel).Select(step => (int)step[0]).ToList();
            long before = engine.StepsChosenOnDevice;
            var generation = engine.Submit(new EngineRequest(prompt, [], options), Cancel);
            var ids = new List<int>();
            await foreach (var token in generation.Tokens.ReadAllAsync(Cancel)) ids.Add(token.Id);
            Assert.Equal(expected, ids);
            // Every step after the prompt's chose its token on the device and fed the next (one more may be queued).
            Assert.InRange(engine.StepsChosenOnDevice - before, 39, 40);
        }
        Assert.Equal([64, 96, 256], engine.PrefillGraphWidths.Order());    // each prompt's pass replayed from a graph
    }

    /// <summary>A lone prompt's pass replayed from its width's CUDA graph writes the logits and cache the scripted pass
    /// writes (the next step from that cache gives the logits it gives there too): for the prompt the graph was captured
    /// with and for others of the same width into other slots after it. Within the op sequence's rounding, not to the
    /// bit: TorchScript fuses a function's element-wise ops from its second call on, and the capture's warm-ups are
    /// such calls (a stale prompt, length or slot in the graph's buffers would move the logits by their size).</summary>
    [Theory]
    [InlineData("qwen2", "bf16")]
    [InlineData("llama3", "f32")]
    public void A_lone_prompts_graphed_pass_is_the_scripted_pass(string name, string dtype)
    {
        RequireCuda();
        using var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cuda, DType(dtype)));
        using var graphed = new BatchDecoder(model.Network, rows: 2, slotTokens: 256, useCudaGraphs: true, padPrompts: true, rowMultiple: 1);
        using var scripted = new BatchDecoder(model.Network, rows: 2, slotTokens: 256, useCudaGraphs: true, padPrompts: true, rowMultiple: 1)
            { PrefillGraphs = false };
        using var scope = NewDisposeScope();
        var none = empty(0, model.Network.DType, model.Network.Device);
        int[] Prompt(int length) => Enumerable.Range(0, length).Select(t => (t * 71 + length) % 500 + 3).ToArray();
        for (int call = 0; call < 3; call++) scripted.Prefill([Prompt(20)], [1], none, none, null);   // its optimised form
        bool exact = model.Network.DType == ScalarType.Float32;
        void Near(Tensor actual, Tensor expected, string what)
        {
            var (a, e) = (actual.to(ScalarType.Float32), expected.to(ScalarType.Float32));
            float largest = e.abs().max().item<float>(), difference = (a - e).abs().max().item<float>();
            Assert.True(difference <= (exact ? 1e-4 * Math.Max(1, largest) : 0.04 * largest), $"{what}: {difference} apart (largest {largest})");
        }
        foreach (var (length, slot) in new[] { (40, 0), (57, 1), (100, 0), (33, 0) })     // widths 64, 64, 128, 64
        {
            var prompt = Prompt(length);
            var fromGraph = graphed.Prefill([prompt], [slot], none, none, null);
            var fromScript = scripted.Prefill([prompt], [slot], none, none, null);
            Near(fromGraph, fromScript, $"{length} tokens: the graphed pass's logits");
            if (slot != 0) continue;
            long next = fromScript[0].argmax().item<long>();
            Near(graphed.Decode([next], [length], 1, 128, none, none, null), scripted.Decode([next], [length], 1, 128, none, none, null),
                $"{length} tokens: the step after the pass");
        }
        Assert.Equal([64, 128], graphed.PrefillGraphWidths.Order());
        Assert.Empty(scripted.PrefillGraphWidths);
    }

    /// <summary>
    /// A lone greedy request whose stop ids are held back for its first tokens (min-new-tokens) takes its tokens from
    /// the sampler until then and from the device after: the same tokens as the generator, and as the engine that never
    /// chooses on the device, with graphs and without.
    /// </summary>
    [Theory]
    [InlineData("qwen2", true)]
    [InlineData("llama3", false)]
    public async Task Tokens_chosen_on_the_device_are_the_samplers(string name, bool graphs)
    {
        RequireCuda();
        using var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cuda, ScalarType.Float32));
        using var onDevice = new BatchEngine(model.Network, new EngineOptions(Rows: 2, SlotTokens: 200, UseCudaGraphs: graphs));
        using var sampler = new BatchEngine(model.Network, new EngineOptions(Rows: 2, SlotTokens: 200, UseCudaGraphs: graphs)) { GreedyOnDevice = false };
        var prompt = Enumerable.Range(0, 30).Select(t => (t * 53 + 11) % 500 + 5).ToArray();
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 60, MinNewTokens = 6 };
        var unstopped = TokenGenerator.Generate(model.Network, [prompt], options with { MinNewTokens = 0 }, [], Cancel).Select(s => (int)s[0]).ToList();
        int[] stops = [unstopped[2]];                        // held back at the third token
        var expected = TokenGenerator.Generate(model.Network, [prompt], options, stops, Cancel).Select(s => (int)s[0]).ToList();
        if (stops.Contains(expected[^1])) expected.RemoveAt(expected.Count - 1);   // the engine hands no stop token out
        Assert.True(expected.Count > 8, $"{expected.Count} tokens: too few to reach the steps chosen on the device");
        async Task<List<int>> Run(BatchEngine engine)
        {
            var ids = new List<int>();
            await foreach (var token in engine.Submit(new EngineRequest(prompt, stops, options), Cancel).Tokens.ReadAllAsync(Cancel)) ids.Add(token.Id);
            return ids;
        }
        var fromDevice = await Run(onDevice);
        Assert.Equal(expected, fromDevice);
        Assert.Equal(expected, await Run(sampler));
        Assert.True(onDevice.StepsChosenOnDevice > 0);
        Assert.Equal(0, sampler.StepsChosenOnDevice);
    }

    /// <summary>decode_choose_greedy is torch's argmax: the first of equal largest logits, NaN the largest (the first
    /// NaN), index 0 where every logit is −∞ — bf16 logits of Qwen's vocabulary, where equal values are common.</summary>
    [Fact]
    public void The_greedy_choice_on_the_device_is_torchs_argmax()
    {
        RequireCuda();
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cuda, ScalarType.BFloat16));
        using var decoder = new BatchDecoder(model.Network, rows: 1, slotTokens: 64, useCudaGraphs: false, padPrompts: true, rowMultiple: 1);
        using var scope = NewDisposeScope();
        var device = model.Network.Device;
        var chosen = zeros([1], ScalarType.Int64, device);
        var cases = new List<(string What, Tensor Logits)>();
        for (int trial = 0; trial < 8; trial++)
        {
            var random = randn([1, 151936], device: device).mul(trial + 1).to(ScalarType.BFloat16);
            cases.Add(($"random {trial}", random));
        }
        var tied = randn([1, 151936], device: device).to(ScalarType.BFloat16);
        foreach (int i in new[] { 90000, 151935, 4321, 70000 }) tied[0, i] = 50.0f;
        cases.Add(("tied", tied));
        var nan = randn([1, 151936], device: device).to(ScalarType.BFloat16);
        nan[0, 777] = float.NaN;
        nan[0, 600] = float.NaN;
        cases.Add(("NaN", nan));
        cases.Add(("all equal", full([1, 151936], 1.5f, ScalarType.BFloat16, device)));
        cases.Add(("all −∞", full([1, 151936], float.NegativeInfinity, ScalarType.BFloat16, device)));
        cases.Add(("short", randn([1, 1000], device: device).to(ScalarType.BFloat16)));
        var odd = randn([1, 1003], device: device).to(ScalarType.BFloat16);
        odd[0, 1001] = 9.0f;                                                   // in the words' tail
        cases.Add(("a tail past the 16-byte words", odd));
        foreach (var (what, logits) in cases)
        {
            decoder.LoneRowDecoder!.ChooseGreedy(logits, chosen);
            Assert.True(logits[0].argmax().item<long>() == chosen.item<long>(), what);
        }
    }

    static void CompareSteps(CausalLM model, int promptLength, int steps, bool graphs, long slotTokens = 512)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        slotTokens = Math.Min(slotTokens, model.Config.MaxPositionEmbeddings);
        // Both forms of the kernels: five a layer, and the whole step in one persistent kernel.
        using var kernels = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: true, persistentStep: false);
        using var persistent = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: true, persistentStep: true);
        using var ops = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: false);
        // The five kernels a layer as they ran before five measured choices (weights only asked of L2 before a kernel
        // waits, one vocabulary row a warp in the head, one pass of an attention chunk loaded before the wait, residual
        // inputs read from L2 rather than staged in shared memory, operands read after the wait): the same sums in the
        // same order, so the same bits.
        using var kernelsBefore = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: true, persistentStep: false);
        kernelsBefore.LoneRowDecoder!.Preload = kernelsBefore.LoneRowDecoder.HeadRows4 = false;
        kernelsBefore.LoneRowDecoder.AttentionPasses = 1;
        kernelsBefore.LoneRowDecoder.StagedInput = false;
        kernelsBefore.LoneRowDecoder.EarlyOperands = false;
        kernelsBefore.LoneRowDecoder.SeparateMinBlocks = 1;
        kernelsBefore.LoneRowDecoder.StageAtOnce = false;
        // The persistent step with its residual inputs read from L2, operands read after the barriers and no weights
        // loaded before them (the choices there): the same bits too.
        using var persistentBefore = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: true, persistentStep: true);
        persistentBefore.LoneRowDecoder!.StagedInput = false;
        persistentBefore.LoneRowDecoder.EarlyOperands = false;
        persistentBefore.LoneRowDecoder.StepFirstLoads = 0;
        // The attention's chunks as they were before: 128-thread blocks over up to 128 positions as kernels, the persistent
        // step's blocks over the shortest chunk (64 positions here) — more chunks merged.
        using var narrow = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: true, persistentStep: false);
        narrow.LoneRowDecoder!.AttentionThreads = 128;
        using var persistentShort = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: true, persistentStep: true);
        persistentShort.LoneRowDecoder!.StepChunk = persistentShort.LoneRowDecoder.ShortestChunk;
        // The persistent step without the cache asked of L2 ahead and with its flat products' cut rows joined through an
        // arrival: the same sums, so the same bits.
        using var persistentNotAhead = new BatchDecoder(model, rows: 2, slotTokens, graphs, padPrompts: true, rowMultiple: 1, singleRowKernels: true, persistentStep: true);
        persistentNotAhead.LoneRowDecoder!.AheadAndExchanged = false;
        Assert.True(kernels.SingleRowKernels && !kernels.PersistentStep, SingleRowDecoder.Unsupported(model));
        Assert.True(persistent.PersistentStep, "the persistent step cannot be launched here");
        Assert.False(ops.SingleRowKernels);
        var none = empty(0, model.DType, model.Device);
        var prompt = Enumerable.Range(0, promptLength).Select(t => (t * 131 + 7) % (int)Math.Min(model.Config.VocabSize, 30000)).ToArray();
        foreach (var decoder in new[] { kernels, persistent, kernelsBefore, persistentBefore, narrow, persistentShort, persistentNotAhead }) decoder.Prefill([prompt], [0], none, none, null);
        var logits = ops.Prefill([prompt], [0], none, none, null);
        bool exact = model.DType == ScalarType.Float32;
        for (int step = 0; step < steps; step++)
        {
            long next = logits[0].argmax().item<long>();
            long position = promptLength + step;
            long span = Math.Min(slotTokens, Math.Max(128, (long)BitOperations.RoundUpToPowerOf2((ulong)(position + 1))));
            var ours = kernels.Decode([next], [position], 1, span, none, none, null).to(ScalarType.Float32);
            var oneKernel = persistent.Decode([next], [position], 1, span, none, none, null).to(ScalarType.Float32);
            var oursBefore = kernelsBefore.Decode([next], [position], 1, span, none, none, null).to(ScalarType.Float32);
            Assert.True(oursBefore.eq(ours).all().item<bool>(), $"step {step}: the five kernels a layer differ from their earlier form");
            var oneKernelBefore = persistentBefore.Decode([next], [position], 1, span, none, none, null).to(ScalarType.Float32);
            Assert.True(oneKernelBefore.eq(oneKernel).all().item<bool>(), $"step {step}: the persistent step differs from its earlier form");
            var narrowChunks = narrow.Decode([next], [position], 1, span, none, none, null).to(ScalarType.Float32);
            var shortChunks = persistentShort.Decode([next], [position], 1, span, none, none, null).to(ScalarType.Float32);
            var notAhead = persistentNotAhead.Decode([next], [position], 1, span, none, none, null).to(ScalarType.Float32);
            Assert.True(notAhead.eq(oneKernel).all().item<bool>(), $"step {step}: the persistent step differs from its form without the cache asked ahead and exchanged joins");
            logits = ops.Decode([next], [position], 1, span, none, none, null);
            var reference = logits.to(ScalarType.Float32);
            float largest = reference.abs().max().item<float>();
            // fp32: only the order of sums differs. 16-bit: an intermediate rounded to the other side of a tie moves by an
            // ulp (2⁻⁸ relative in bf16) and travels through the layers; a wrong index or mask moves logits by their size.
            double tolerance = exact ? 2e-5 * Math.Max(1, largest) : 0.04 * largest;
            foreach (var (form, logitsOfForm) in new[] { ("five kernels a layer", ours), ("persistent step", oneKernel),
                ("128-thread attention", narrowChunks), ("persistent step's shortest chunks", shortChunks) })
            {
                float difference = (logitsOfForm - reference).abs().max().item<float>();
                Assert.True(difference <= tolerance,
                    $"{form}, step {step} (position {position}): logits differ by {difference} (largest {largest}, tolerance {tolerance})");
                Assert.False(logitsOfForm.isnan().any().item<bool>(), $"NaN in the {form}'s logits");
            }
        }
    }

    /// <summary>A Qwen2-architecture model of a real layer shape with random weights (norms and biases random too, so a
    /// dropped weight or bias shows).</summary>
    static CausalLM RandomModel(string shape, ScalarType dtype)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Model("qwen2"), "config.json")))!;
        (int hidden, int heads, int kvHeads, int inner, int layers, int vocab) = shape.StartsWith("7b", StringComparison.Ordinal)
            ? (3584, 28, 4, 18944, 1, 2048)
            : (896, 14, 2, 4864, 2, 151936);
        config["hidden_size"] = hidden;
        config["num_attention_heads"] = heads;
        config["num_key_value_heads"] = kvHeads;
        config["intermediate_size"] = inner;
        config["num_hidden_layers"] = layers;
        config["vocab_size"] = vocab;
        config["max_position_embeddings"] = 8192;
        config["layer_types"] = new JsonArray([.. Enumerable.Range(0, layers).Select(_ => (JsonNode)"full_attention")]);
        if (shape.EndsWith("window", StringComparison.Ordinal))
        {
            config["use_sliding_window"] = true;
            config["sliding_window"] = 160;
            config["max_window_layers"] = 0;
        }
        string folder = Directory.CreateTempSubdirectory("single-row-shape-").FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var model = new CausalLM(ModelConfig.Load(folder), dtype, new Device(DeviceType.CUDA, 0));
        Directory.Delete(folder, recursive: true);
        manual_seed(11);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) parameter.normal_(1.0, 0.1);
            else parameter.normal_(0, name.EndsWith(".bias", StringComparison.Ordinal) ? 0.5 : 0.05);
        }
        return model;
    }
}
