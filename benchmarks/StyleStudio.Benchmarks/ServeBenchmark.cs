using System.Diagnostics;
using System.Text.Json.Nodes;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Serving;
using static TorchSharp.torch;

namespace StyleStudio.Benchmarks;

/// <summary>
/// The serving engine under the issue's load: many concurrent streams of random prompts spread over the base and
/// several random rank-r adapters on every linear layer, greedy; aggregate tokens/s, time to first token, the adapters'
/// device memory against the base's (their tensors, and the process's device memory in use with and without them), a single stream's speed, and whether batched rows equal the same requests alone.
/// The same prompts (lengths and ids from one seed) feed tools/reference/bench_peft_serve.py.
/// </summary>
static class ServeBenchmark
{
    public sealed record Settings(int Streams, int Adapters, int Rank, int MinPrompt, int MaxPrompt, int NewTokens, int Rows, bool Graphs);

    public static object Run(CausalLM model, Settings settings)
    {
        var folders = Enumerable.Range(0, settings.Adapters).Select(i => WriteRandomAdapter(model, settings.Rank, seed: 100 + i)).ToList();
        var random = new Random(1234);
        var prompts = Enumerable.Range(0, settings.Streams).Select(_ =>
            Enumerable.Range(0, random.Next(settings.MinPrompt, settings.MaxPrompt + 1)).Select(_ => random.Next(100, model.Config.VocabSize)).ToArray()).ToList();
        string? AdapterOf(int i) => (i % (settings.Adapters + 1)) is var slot and > 0 ? $"adapter-{slot}" : null;
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = settings.NewTokens, MinNewTokens = settings.NewTokens };

        using var engine = new BatchEngine(model, new EngineOptions(settings.Rows, settings.MaxPrompt + settings.NewTokens + 8, settings.Graphs));
        long baseBytes = model.parameters().Sum(p => p.NumberOfElements * p.ElementSize);

        (List<int[]> Tokens, double Seconds, List<double> FirstToken) Load(IReadOnlyList<int> which, bool adapters = true)
        {
            var clock = Stopwatch.StartNew();
            var runs = which.Select(i => (Generation: engine.Submit(new EngineRequest(prompts[i], [], options) { Adapter = adapters ? AdapterOf(i) : null }),
                Submitted: clock.Elapsed)).ToList();
            var firsts = new double[runs.Count];
            var tokens = runs.Select((run, k) => Task.Run(async () =>
            {
                var ids = new List<int>();
                await foreach (var token in run.Generation.Tokens.ReadAllAsync())
                {
                    if (ids.Count == 0) firsts[k] = (clock.Elapsed - run.Submitted).TotalMilliseconds;
                    ids.Add(token.Id);
                }
                return ids.ToArray();
            })).ToArray();
            Task.WaitAll(tokens);
            return (tokens.Select(t => t.Result).ToList(), clock.Elapsed.TotalSeconds, [.. firsts]);
        }

        var all = Enumerable.Range(0, settings.Streams).ToList();
        // Device memory in use (NVML, the whole process: what nvidia-smi shows) serving the load on the base alone, then
        // with the adapters attached and mixed in: what the styles add to a served base, graphs and activations of the
        // adapter path included.
        bool cuda = model.Device.type == TorchSharp.DeviceType.CUDA;
        for (int i = 0; i < 2; i++) Load(all, adapters: false);
        long? inUseBaseAlone = cuda ? ComputeDevice.MemoryInUse(model.Device) : null;
        for (int i = 0; i < folders.Count; i++) engine.AttachAsync($"adapter-{i + 1}", folders[i]).GetAwaiter().GetResult();
        long adapterBytes = engine.AdapterBytes;
        long? inUseAttached = cuda ? ComputeDevice.MemoryInUse(model.Device) : null;
        // Warm-up: the first load compiles the passes and captures the decode graphs it needs; TorchScript optimises a
        // function on its second call (the prompt pass of this load: ~0.3 s of the second load's first token at 0.5B), so
        // a server's steady state is the third load. Every load's figures are reported.
        var loads = Enumerable.Range(0, 3).Select(_ => Load(all)).ToList();
        long? inUseWithAdapters = cuda ? ComputeDevice.MemoryInUse(model.Device) : null;
        var (batched, seconds, firstToken) = loads[^1];
        long generated = batched.Sum(t => t.Length);
        var sortedFirst = firstToken.Order().ToList();

        // Rows alone against the same rows in the batch.
        var alone = Enumerable.Range(0, Math.Min(8, settings.Streams)).Select(i => Load([i]).Tokens[0]).ToList();
        int equal = alone.Select((ids, i) => ids.SequenceEqual(batched[i]) ? 1 : 0).Sum();

        // One stream, the playground's case.
        var single = new SamplingOptions { Temperature = 0, MaxNewTokens = 256, MinNewTokens = 256 };
        // The playground's defaults: sampled, top-p, a repetition penalty (its sampling runs on the device each token).
        var playground = single with { Temperature = 0.7, TopP = 0.9, RepetitionPenalty = 1.1, Seed = 7 };
        double SingleRun(string? adapter) => SingleRunOn(engine, adapter);
        // Tokens a second from submit to the last token; `stream` gets the first token's time (ms, submit → first) and
        // the rate between the first token and the last (what a reader of the stream sees once it has begun).
        double SingleRunOn(BatchEngine on, string? adapter, SamplingOptions? sampling = null, List<(double FirstMs, double Rate)>? stream = null)
        {
            var clock = Stopwatch.StartNew();
            var run = on.Submit(new EngineRequest(prompts[0].Take(64).ToArray(), [], sampling ?? single) { Adapter = adapter });
            int count = 0;
            double first = 0, last = 0;
            var reading = Task.Run(async () =>
            {
                await foreach (var _ in run.Tokens.ReadAllAsync())
                {
                    last = clock.Elapsed.TotalSeconds;
                    if (count++ == 0) first = last;
                }
            });
            reading.Wait();
            stream?.Add((first * 1000, (count - 1) / (last - first)));
            return count / clock.Elapsed.TotalSeconds;
        }
        double Median(Func<double> measure) => Enumerable.Range(0, 3).Select(_ => measure()).Order().ElementAt(1);
        SingleRun(null);
        SingleRun("adapter-1");
        var baseStream = new List<(double FirstMs, double Rate)>();
        var singleBase = Median(() => SingleRunOn(engine, null, stream: baseStream));
        // The same with each greedy token chosen by the sampler after the step (the form before BatchDecoder.DecodeGreedy),
        // and also with the prompt's pass scripted rather than replayed from a graph (the engine's form before both).
        var samplerStream = new List<(double FirstMs, double Rate)>();
        var beforeStream = new List<(double FirstMs, double Rate)>();
        engine.GreedyOnDevice = false;
        SingleRun(null);
        var singleBaseSamplerChoice = Median(() => SingleRunOn(engine, null, stream: samplerStream));
        engine.PrefillGraphs = false;
        SingleRun(null);
        var singleBaseBefore = Median(() => SingleRunOn(engine, null, stream: beforeStream));
        engine.GreedyOnDevice = engine.PrefillGraphs = true;
        var singleAdapter = Median(() => SingleRun("adapter-1"));
        SingleRunOn(engine, null, playground);
        var singleSampled = Median(() => SingleRunOn(engine, null, playground));
        // The same lone request with each step read before the next is queued (the engine's form before pipelining).
        double singleBaseUnpipelined, singleSampledUnpipelined;
        using (var unpipelined = new BatchEngine(model, new EngineOptions(1, settings.MaxPrompt + settings.NewTokens + 8, settings.Graphs, PipelineSteps: false)))
        {
            SingleRunOn(unpipelined, null);
            singleBaseUnpipelined = Median(() => SingleRunOn(unpipelined, null));
            singleSampledUnpipelined = Median(() => SingleRunOn(unpipelined, null, playground));
        }
        // The same lone request through the batch's op sequence instead of the single-row kernels, and one step of each
        // as the engine issues it (without sampling and delivery): where a token's time goes.
        double singleBaseOps = 0;
        if (engine.SingleRowKernels)
        {
            using var opsEngine = new BatchEngine(model, new EngineOptions(1, settings.MaxPrompt + settings.NewTokens + 8, settings.Graphs, SingleRowKernels: false));
            double OpsRun()
            {
                var clock = Stopwatch.StartNew();
                var run = opsEngine.Submit(new EngineRequest(prompts[0].Take(64).ToArray(), [], single));
                int count = 0;
                Task.Run(async () => { await foreach (var _ in run.Tokens.ReadAllAsync()) count++; }).Wait();
                return count / clock.Elapsed.TotalSeconds;
            }
            OpsRun();
            singleBaseOps = Median(OpsRun);
        }
        double stepKernels = cuda ? LoneStepMilliseconds(model, settings, kernels: true) : 0;
        double stepPersistent = cuda ? LoneStepMilliseconds(model, settings, kernels: true, persistent: true) : 0;
        double stepUnsplit = cuda ? LoneStepMilliseconds(model, settings, kernels: true, persistent: engine.PersistentStep, splitRows: false) : 0;
        // Where the persistent step's time goes: per phase, from block 0's barrier timeline.
        var timelines = new List<double[]>();
        if (cuda && engine.PersistentStep) LoneStepMilliseconds(model, settings, kernels: true, persistent: true, phases: timelines);
        object? phaseMicroseconds = timelines.Count == 0 ? null : PhaseSummary(timelines, model.Config.NumHiddenLayers);
        double stepOps = cuda ? LoneStepMilliseconds(model, settings, kernels: false) : 0;
        double greedyStep = cuda ? LoneGreedyStepMilliseconds(model, settings) : 0;

        foreach (var folder in folders) Directory.Delete(folder, recursive: true);
        return new
        {
            streams = settings.Streams,
            adapters = settings.Adapters,
            rank = settings.Rank,
            new_tokens = settings.NewTokens,
            prompt_tokens = new { min = prompts.Min(p => p.Length), max = prompts.Max(p => p.Length), total = prompts.Sum(p => p.Length) },
            rows = settings.Rows,
            cuda_graphs = settings.Graphs,
            aggregate_tokens_per_s = generated / seconds,
            seconds,
            generated,
            first_token_ms_p50 = sortedFirst[sortedFirst.Count / 2],
            first_token_ms_p95 = sortedFirst[(int)Math.Min(sortedFirst.Count - 1, Math.Ceiling(sortedFirst.Count * 0.95) - 1)],
            seconds_by_load = loads.Select(l => l.Seconds).ToArray(),
            first_token_ms_p50_by_load = loads.Select(l => l.FirstToken.Order().ElementAt(l.FirstToken.Count / 2)).ToArray(),
            base_bytes = baseBytes,
            adapter_bytes = adapterBytes,
            adapter_memory_fraction = (double)adapterBytes / baseBytes,
            device_memory_in_use_base_alone = inUseBaseAlone,
            device_memory_in_use_attached = inUseAttached,
            device_memory_in_use_with_adapters = inUseWithAdapters,
            device_memory_in_use_adapters_fraction = inUseBaseAlone is > 0 && inUseWithAdapters is { } with
                ? (double)(with - inUseBaseAlone.Value) / inUseBaseAlone.Value : (double?)null,
            kv_cache_bytes = engine.CacheBytes,
            alone_equal_batched = $"{equal}/{alone.Count}",
            single_stream_base_tokens_per_s = singleBase,
            single_stream_base_first_token_ms = baseStream.Select(r => r.FirstMs).Order().ElementAt(1),
            single_stream_base_tokens_per_s_after_first = baseStream.Select(r => r.Rate).Order().ElementAt(1),
            single_stream_base_tokens_per_s_sampler_choice = singleBaseSamplerChoice,
            single_stream_base_tokens_per_s_after_first_sampler_choice = samplerStream.Select(r => r.Rate).Order().ElementAt(1),
            single_stream_base_first_token_ms_sampler_choice = samplerStream.Select(r => r.FirstMs).Order().ElementAt(1),
            single_stream_base_tokens_per_s_before = singleBaseBefore,
            single_stream_base_first_token_ms_before = beforeStream.Select(r => r.FirstMs).Order().ElementAt(1),
            single_stream_base_steps_chosen_on_device = engine.StepsChosenOnDevice,
            single_stream_base_tokens_per_s_unpipelined = singleBaseUnpipelined,
            single_stream_base_sampled_tokens_per_s = singleSampled,
            single_stream_base_sampled_tokens_per_s_unpipelined = singleSampledUnpipelined,
            single_stream_adapter_tokens_per_s = singleAdapter,
            single_row_kernels = engine.SingleRowKernels,
            single_stream_base_ops_tokens_per_s = singleBaseOps,
            single_row_persistent = engine.PersistentStep,
            lone_step_ms_persistent = stepPersistent,
            lone_step_ms_engines_form_rows_unsplit = stepUnsplit,
            persistent_phase_us = phaseMicroseconds,
            lone_step_ms_kernels = stepKernels,
            lone_step_ms_ops = stepOps,
            lone_greedy_step_ms_back_to_back = greedyStep,
        };
    }

    /// <summary>A lone base row's step in each form of the single-row kernels: five a layer as the engine runs them, with
    /// the earlier forms each measured choice replaced (weights only asked of L2 before a kernel waits, one vocabulary
    /// row a warp in the head, one attention pass loaded before the wait, residual inputs read from L2, attention chunks
    /// of 64 positions), and the persistent step with and without staged residual inputs and with 64-position chunks,
    /// with its time per phase; the engine's form once more at the end (what the order of the timings adds); then that
    /// form without each part of the step in turn — what that part costs. Median of three timings each.</summary>
    public static object Steps(CausalLM model, Settings settings, string? only = null, int rounds = 1)
    {
        var resources = new Dictionary<string, object>();
        double Form(bool persistent = false, Action<SingleRowDecoder>? configure = null, string? without = null, int start = 64) =>
            Enumerable.Range(0, rounds > 1 ? 1 : 3).Select(_ => LoneStepMilliseconds(model, settings, kernels: true, persistent, without: without,
                configure: configure, info: resources, start: start)).Order().ElementAt(rounds > 1 ? 0 : 1);
        // --only: names or name prefixes ending in *, separated by commas.
        var wanted = only?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool Wanted(string name) => wanted is null || wanted.Any(w => w.EndsWith('*') ? name.StartsWith(w[..^1], StringComparison.Ordinal) : name == w);
        Form(persistent: wanted is not null && wanted.All(w => w.StartsWith("persistent", StringComparison.Ordinal)));   // warms the GPU up: the first form timed ran 2–10 % slow
        var candidates = new (string Name, Func<double> Time)[]
        {
            ("kernels", () => Form()),
            ("kernels_attention_threads_128", () => Form(configure: d => d.AttentionThreads = 128)),
            ("kernels_attention_threads_256", () => Form(configure: d => d.AttentionThreads = 256)),
            ("kernels_at_256", () => Form(start: 256)),
            ("kernels_at_256_attention_threads_128", () => Form(start: 256, configure: d => d.AttentionThreads = 128)),
            ("kernels_at_256_attention_threads_256", () => Form(start: 256, configure: d => d.AttentionThreads = 256)),
            ("kernels_without_preload", () => Form(configure: d => d.Preload = false)),
            ("kernels_head_one_row_a_warp", () => Form(configure: d => d.HeadRows4 = false)),
            ("kernels_attention_one_pass_preloaded", () => Form(configure: d => d.AttentionPasses = 1)),
            ("kernels_residual_input_unstaged", () => Form(configure: d => d.StagedInput = false)),
            ("kernels_operands_after_wait", () => Form(configure: d => d.EarlyOperands = false)),
            ("kernels_registers_for_one_block_a_multiprocessor", () => Form(configure: d => d.SeparateMinBlocks = 1)),
            ("kernels_as_before", () => Form(configure: d => (d.Preload, d.HeadRows4, d.AttentionThreads, d.AttentionPasses, d.StagedInput, d.AttentionChunk, d.EarlyOperands, d.SeparateMinBlocks, d.StageAtOnce) = (false, false, 128, 1, false, 64, false, 1, false))),
            ("persistent", () => Form(persistent: true)),
            ("persistent_chunk_64", () => Form(persistent: true, d => d.StepChunk = 64)),
            ("persistent_chunk_256", () => Form(persistent: true, d => d.StepChunk = 256)),
            ("persistent_at_256", () => Form(persistent: true, start: 256)),
            ("persistent_at_256_chunk_64", () => Form(persistent: true, d => d.StepChunk = 64, start: 256)),
            ("persistent_at_256_chunk_256", () => Form(persistent: true, d => d.StepChunk = 256, start: 256)),
            ("persistent_not_ahead", () => Form(persistent: true, d => d.AheadAndExchanged = false)),
            ("persistent_o_flat", () => Form(persistent: true, d => d.FlatRowBatches = 1)),
            ("persistent_chunk_128", () => Form(persistent: true, d => d.StepChunk = 128)),
            ("persistent_at_256_not_ahead", () => Form(persistent: true, d => d.AheadAndExchanged = false, start: 256)),
            ("persistent_at_256_chunk_128", () => Form(persistent: true, d => d.StepChunk = 128, start: 256)),
            ("kernels_stage_in_turn", () => Form(configure: d => d.StageAtOnce = false)),
            ("persistent_residual_input_unstaged", () => Form(persistent: true, d => d.StagedInput = false)),
            ("persistent_operands_after_barrier", () => Form(persistent: true, d => d.EarlyOperands = false)),
            ("persistent_barriers_off", () => Form(persistent: true, d => d.BarriersOff = 63)),
            ("persistent_first_loads_0", () => Form(persistent: true, d => d.StepFirstLoads = 0)),
            ("persistent_first_loads_4", () => Form(persistent: true, d => d.StepFirstLoads = 4)),
            ("persistent_first_loads_8", () => Form(persistent: true, d => d.StepFirstLoads = 8)),
            ("persistent_at_256_first_loads_0", () => Form(persistent: true, d => d.StepFirstLoads = 0, start: 256)),
            ("persistent_at_256_first_loads_4", () => Form(persistent: true, d => d.StepFirstLoads = 4, start: 256)),
            ("persistent_barriers_off_qkv", () => Form(persistent: true, d => d.BarriersOff = 1)),
            ("persistent_barriers_off_attention", () => Form(persistent: true, d => d.BarriersOff = 2)),
            ("persistent_barriers_off_o_proj", () => Form(persistent: true, d => d.BarriersOff = 4)),
            ("persistent_barriers_off_gate_up", () => Form(persistent: true, d => d.BarriersOff = 8)),
            ("persistent_barriers_off_down_proj", () => Form(persistent: true, d => d.BarriersOff = 16)),
            ("persistent_barriers_off_attention_o_proj", () => Form(persistent: true, d => d.BarriersOff = 6)),
            ("kernels_measured_again", () => Form()),
            ("persistent_measured_again", () => Form(persistent: true)),
        };
        // Each round times every wanted form once, in turn, so that a drift of the device's speed over the call (clocks,
        // temperature) falls on all forms alike; a form's time is its median over the rounds.
        var timings = candidates.Where(c => Wanted(c.Name)).ToDictionary(c => c.Name, _ => new List<double>());
        for (int round = 0; round < rounds; round++)
            foreach (var (name, time) in candidates.Where(c => Wanted(c.Name))) timings[name].Add(time());
        var forms = timings.ToDictionary(t => t.Key, t => t.Value.Order().ElementAt(t.Value.Count / 2));
        var phases = new Dictionary<string, object?>();
        foreach (var (name, configure) in new (string, Action<SingleRowDecoder>?)[]
            { ("persistent", null), ("persistent_operands_after_barrier", d => d.EarlyOperands = false),
              ("persistent_not_ahead", d => d.AheadAndExchanged = false) })
        {
            if (!Wanted(name)) continue;
            var timelines = new List<double[]>();
            LoneStepMilliseconds(model, settings, kernels: true, persistent: true, phases: timelines, configure: configure);
            phases[name] = timelines.Count == 0 ? null : PhaseSummary(timelines, model.Config.NumHiddenLayers);
        }
        var without = new[] { "qkv", "attention", "o_proj", "gate_up", "down_proj", "head" }.Where(_ => Wanted("kernels_without"))
            .ToDictionary(k => k, k => Form(without: k));
        return new { lone_step_ms = forms, lone_step_ms_by_round = rounds > 1 ? timings : null, persistent_phase_us = phases,
            lone_step_ms_kernels_without = without, kernels = resources };
    }

    /// <summary>
    /// A lone greedy base row's steps as the engine queues them (the token chosen and fed on the device, a graph a step),
    /// back to back with no host read between them: the device's own time a token takes — the step, the choice, the
    /// graph boundary — to set against the engine's time a token (which adds the host's reads and delivery) and against
    /// the step's phases (the kernel's body alone).
    /// </summary>
    static double LoneGreedyStepMilliseconds(CausalLM model, Settings settings, int start = 64)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        const int steps = 200;
        long slot = start + steps + 24;
        using var decoder = new BatchDecoder(model, 1, slot, settings.Graphs, padPrompts: true, rowMultiple: 1);
        if (!decoder.ChoosesGreedyOnDevice) return 0;
        var none = empty(0, model.DType, model.Device);
        decoder.Prefill([Enumerable.Range(100, start).Select(t => t % 30000).ToArray()], [0], none, none, null);
        // Warm-up (the graph's capture), then the positions start again where they did. The span only bounds where a
        // fed position is held: the whole slot.
        var chosen = decoder.DecodeGreedy((7, start), null, fed: false, slot);
        for (int i = 0; i < 4; i++) chosen = decoder.DecodeGreedy(null, chosen, fed: true, slot);
        chosen = decoder.DecodeGreedy((7, start), null, fed: false, slot);
        TorchSharp.torch.cuda.synchronize();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) chosen = decoder.DecodeGreedy(null, chosen, fed: true, slot);
        TorchSharp.torch.cuda.synchronize();
        return clock.Elapsed.TotalMilliseconds / steps;
    }

    /// <summary>A lone base row's decode step as the engine issues it (inputs copied in, graph replayed, logits copied
    /// out), without sampling or delivery; the copy of the inputs waits for the previous step, so calls do not overlap.</summary>
    /// <param name="phases">Receives the persistent step's time per phase (averaged over the timed steps, graphs off).</param>
    /// <param name="splitRows">Whether o_proj's and down_proj's rows are split over warps (<see cref="SingleRowDecoder.SplitRows"/>).</param>
    /// <param name="configure">Sets the single-row kernels' knobs (<see cref="SingleRowDecoder"/>'s internal properties) before the first step.</param>
    /// <param name="info">Receives each kernel's resident blocks, registers and spills (the single-row kernels).</param>
    static double LoneStepMilliseconds(CausalLM model, Settings settings, bool kernels, bool persistent = false,
        List<double[]>? phases = null, bool splitRows = true, string? without = null, Action<SingleRowDecoder>? configure = null,
        Dictionary<string, object>? info = null, int start = 64, List<(long[] Stamps, int Blocks, int Barriers)>? blockStamps = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var decoder = new BatchDecoder(model, 1, Math.Max(settings.MaxPrompt + settings.NewTokens + 8, start + 72), settings.Graphs && phases is null,
            padPrompts: true, rowMultiple: 1, kernels, persistent);
        if (kernels && decoder.PersistentStep != persistent) return 0;   // not possible here
        if (phases is not null) decoder.LoneRowDecoder!.RecordTimeline();
        if (decoder.LoneRowDecoder is { } lone)
        {
            lone.SplitRows = splitRows;
            lone.Without = without;
            configure?.Invoke(lone);
        }
        var none = empty(0, model.DType, model.Device);
        // The prompt fills the cache up to the first timed position; the steps then cycle over the next 64 positions.
        decoder.Prefill([Enumerable.Range(100, start).Select(t => t % 30000).ToArray()], [0], none, none, null);
        const int steps = 200;
        long span = Math.Max(128, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)(start + 64)));
        for (int i = 0; i < 10; i++) decoder.Decode([7], [start + i], 1, span, none, none, null).Dispose();
        TorchSharp.torch.cuda.synchronize();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            decoder.Decode([7], [start + i % 64], 1, span, none, none, null).Dispose();
            if (phases is not null) phases.Add(decoder.LoneRowDecoder!.PhaseMicroseconds());
            if (blockStamps is not null && i >= steps - 8) blockStamps.Add(decoder.LoneRowDecoder!.BlockTimeline());
        }
        TorchSharp.torch.cuda.synchronize();
        if (info is not null && decoder.LoneRowDecoder is { } used)
        {
            var resources = used.KernelResources();
            foreach (var (kernel, blocks) in used.ResidentBlocksByKernel)
                info[$"{kernel}_passes{used.AttentionPasses}{(used.EarlyOperands ? "" : "_late")}_min{used.SeparateMinBlocks}{(used.AheadAndExchanged ? "" : "_not_ahead")}{(used.StageAtOnce ? "" : "_stage_in_turn")}"] = new { blocks, registers = resources[kernel].Registers, local_bytes = resources[kernel].LocalBytes };
        }
        return clock.Elapsed.TotalMilliseconds / steps;
    }

    /// <summary>
    /// Every block's stamps at every barrier of the persistent step's last 8 steps (of 200, position 64 on): when it
    /// arrived and when it saw the barrier open — where a phase's blocks finish apart and what a barrier takes — for
    /// tools/device/block-timeline.py, written to block-timeline-START.json in <paramref name="folder"/> (the stamping
    /// kernel is one of its own: its total is not the served step's); also a lone 64-token prompt's pass timed.
    /// </summary>
    public static object BlockTimelines(CausalLM model, Settings settings, string folder, int start = 64)
    {
        Directory.CreateDirectory(folder);
        var phases = new List<double[]>();
        var stamps = new List<(long[] Stamps, int Blocks, int Barriers)>();
        double ms = LoneStepMilliseconds(model, settings, kernels: true, persistent: true, phases: phases, start: start, blockStamps: stamps,
            configure: d => d.BlockStamps = true);
        string path = Path.Combine(folder, $"block-timeline-{start}.json");
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new { layers = model.Config.NumHiddenLayers, blocks = stamps[0].Blocks,
            barriers = stamps[0].Barriers, start, steps = stamps.Select(s => s.Stamps) }));
        return new { step_ms_timed = ms, file = path, phases = PhaseSummary(phases, model.Config.NumHiddenLayers), lone_prefill_ms = LonePrefillMilliseconds(model, settings) };
    }

    /// <summary>A lone 64-token prompt's pass as the engine runs it (replayed from its graph) and its logits read, each
    /// timed from the host: median of 20, milliseconds.</summary>
    static double LonePrefillMilliseconds(CausalLM model, Settings settings)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var decoder = new BatchDecoder(model, 1, settings.MaxPrompt + settings.NewTokens + 8, settings.Graphs, padPrompts: true, rowMultiple: 1,
            singleRowKernels: true, persistentStep: null);
        var none = empty(0, model.DType, model.Device);
        int[] prompt = [.. Enumerable.Range(100, 64)];
        var times = new List<double>();
        for (int i = 0; i < 24; i++)
        {
            TorchSharp.torch.cuda.synchronize();
            var clock = Stopwatch.StartNew();
            using var logits = decoder.Prefill([prompt], [0], none, none, null);
            logits.argmax(-1).cpu().Dispose();
            if (i >= 4) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times.Order().ElementAt(times.Count / 2);
    }

    /// <summary>Mean microseconds per phase kind of the persistent step (a layer's five summed over the layers) and the
    /// whole step, from block 0's barrier timelines.</summary>
    static object PhaseSummary(List<double[]> timelines, int layers)
    {
        double Mean(Func<double[], double> pick) => timelines.Average(pick);
        double Layers(int phase) => Mean(t => Enumerable.Range(0, layers).Sum(l => t[1 + l * 5 + phase]));
        return new
        {
            embed = Mean(t => t[0]),
            qkv = Layers(0),
            attention = Layers(1),
            o_proj = Layers(2),
            gate_up = Layers(3),
            down_proj = Layers(4),
            head = Mean(t => t[1 + layers * 5]),
            step = Mean(t => t.Sum()),
            barriers = 2 + layers * 5,
        };
    }

    /// <summary>A PEFT LoRA folder with random A and B (B nonzero, so the adapter changes the output) on every linear layer.</summary>
    static string WriteRandomAdapter(CausalLM model, int rank, int seed)
    {
        string folder = Directory.CreateTempSubdirectory("stylestudio-adapter-").FullName;
        var generator = new Generator((ulong)seed);
        var tensors = new Dictionary<string, Tensor>();
        for (int layer = 0; layer < model.Config.NumHiddenLayers; layer++)
        {
            var decoder = model.Model.Layers[layer];
            foreach (var (host, prefix) in new[] { ((StyleStudio.Training.Models.Layers.ProjectionHost)decoder.SelfAttention, "self_attn"), (decoder.Mlp, "mlp") })
                foreach (var (name, projection) in host.BaseLayers)
                {
                    string key = $"base_model.model.model.layers.{layer}.{prefix}.{name}.";
                    tensors[key + "lora_A.weight"] = randn([rank, projection.InFeatures], generator: generator) / Math.Sqrt(projection.InFeatures);
                    tensors[key + "lora_B.weight"] = randn([projection.OutFeatures, rank], generator: generator) * 0.01;
                }
        }
        SafetensorsWriter.Write(Path.Combine(folder, PeftAdapter.WeightsFile), tensors);
        foreach (var t in tensors.Values) t.Dispose();
        var config = new JsonObject
        {
            ["peft_type"] = "LORA", ["r"] = rank, ["lora_alpha"] = 2 * rank, ["lora_dropout"] = 0.0, ["bias"] = "none",
            ["target_modules"] = new JsonArray([.. LoraConfig.AllLinear.Select(t => (JsonNode)t)]), ["base_model_name_or_path"] = "random",
        };
        File.WriteAllText(Path.Combine(folder, PeftAdapter.ConfigFile), config.ToJsonString());
        return folder;
    }
}
