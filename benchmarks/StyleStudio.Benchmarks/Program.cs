using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using StyleStudio.Benchmarks;
using StyleStudio.Training;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models;
using StyleStudio.Training.Models.Compiled;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

// Benchmarks print one JSON object each, so runs on different machines can be collected and compared.
var shapeOption = new Option<string>("--shape") { Description = "qwen2.5-0.5b or qwen2.5-7b", DefaultValueFactory = _ => "qwen2.5-0.5b" };
var outOption = new Option<DirectoryInfo>("--out") { Required = true };
var modelOption = new Option<DirectoryInfo>("--model") { Required = true };
var deviceOption = new Option<DevicePreference>("--device") { DefaultValueFactory = _ => DevicePreference.Auto };
var dtypeOption = new Option<string>("--dtype") { DefaultValueFactory = _ => "bfloat16" };
var promptOption = new Option<int>("--prompt-tokens") { DefaultValueFactory = _ => 64 };
var newOption = new Option<int>("--new-tokens") { DefaultValueFactory = _ => 256 };
var repeatOption = new Option<int>("--repeats") { DefaultValueFactory = _ => 3 };
var eagerOption = new Option<bool>("--eager") { Description = "decode op by op instead of through the compiled step" };
var noGraphsOption = new Option<bool>("--no-graphs") { Description = "on CUDA, issue every kernel eagerly instead of replaying CUDA graphs (decode steps; training micro-batches)" };

ScalarType DType(string name) => name == "float32" ? ScalarType.Float32 : ScalarType.BFloat16;
void Print(object result) => Console.WriteLine(JsonSerializer.Serialize(result));

var checkpoint = new Command("random-checkpoint", "Write a random-weight checkpoint of a real model shape")
{
    shapeOption, outOption, dtypeOption,
};
checkpoint.SetAction(parse =>
{
    string folder = parse.GetValue(outOption)!.FullName;
    Directory.CreateDirectory(folder);
    var config = ModelShapes.Get(parse.GetValue(shapeOption)!);
    File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
    var parsed = ModelConfig.Load(folder);
    using var model = new CausalLM(parsed, DType(parse.GetValue(dtypeOption)!), CPU);
    RandomWeights.Fill(model, seed: 0);
    SafetensorsWriter.Write(Path.Combine(folder, SafetensorsCheckpoint.SingleFile),
        model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter));
    Print(new { folder, bytes = new FileInfo(Path.Combine(folder, SafetensorsCheckpoint.SingleFile)).Length });
});

var load = new Command("load", "Time loading a checkpoint and record peak resident memory") { modelOption, deviceOption, dtypeOption };
load.SetAction(parse =>
{
    long baseline = ResidentMemory.Current();
    using var model = PretrainedModel.Load(parse.GetValue(modelOption)!.FullName,
        new ModelLoadOptions(parse.GetValue(deviceOption), DType(parse.GetValue(dtypeOption)!)));
    long peak = ResidentMemory.Peak();
    Print(new
    {
        device = model.Device.ToString(),
        weight_bytes = model.Report.Bytes,
        seconds = model.Report.Elapsed.TotalSeconds,
        mb_per_s = model.Report.MegabytesPerSecond,
        rss_before_load = baseline,
        peak_rss = peak,
        peak_rss_over_weights = (double)peak / model.Report.Bytes,
        load_rss_over_weights = (double)(peak - baseline) / model.Report.Bytes,
    });
});

var decode = new Command("decode", "Greedy decoding speed, batch 1, on random weights of a real shape")
{
    shapeOption, deviceOption, dtypeOption, promptOption, newOption, repeatOption, eagerOption, noGraphsOption,
};
decode.SetAction(parse =>
{
    var device = ComputeDevice.Select(parse.GetValue(deviceOption));
    using var model = RandomWeights.Model(parse.GetValue(shapeOption)!, DType(parse.GetValue(dtypeOption)!), device.Device);
    var config = model.Config;
    model.UseCompiledDecoding = !parse.GetValue(eagerOption);
    model.UseCudaGraphs = !parse.GetValue(noGraphsOption);
    int promptLength = parse.GetValue(promptOption), newTokens = parse.GetValue(newOption);
    var prompt = Enumerable.Range(0, promptLength).Select(i => (i * 7919) % config.VocabSize).ToArray();
    var options = new SamplingOptions { Temperature = 0, MaxNewTokens = newTokens, MinNewTokens = newTokens };

    var runs = new List<double>();
    for (int run = 0; run <= parse.GetValue(repeatOption); run++) // run 0 warms up
    {
        var clock = Stopwatch.StartNew();
        int produced = TokenGenerator.Generate(model, [prompt], options, config.EosTokenIds).Count();
        if (run > 0) runs.Add(produced / clock.Elapsed.TotalSeconds);
    }
    Print(new
    {
        device = device.ToString(),
        shape = parse.GetValue(shapeOption),
        dtype = parse.GetValue(dtypeOption),
        path = CudaGraphDecoder.Applies(model, newTokens) ? "cuda-graph" : model.UseCompiledDecoding ? "compiled" : "eager",
        prompt_tokens = promptLength,
        new_tokens = newTokens,
        tokens_per_s_runs = runs,
        tokens_per_s_median = runs.Order().ElementAt(runs.Count / 2),
    });
});

var batchOption = new Option<int>("--batch") { DefaultValueFactory = _ => 8 };
var sequenceOption = new Option<int>("--sequence") { DefaultValueFactory = _ => 512 };
var rankOption = new Option<int>("--rank") { DefaultValueFactory = _ => 8 };
var checkpointingOption = new Option<bool>("--checkpointing") { Description = "gradient checkpointing per decoder layer" };
var qloraOption = new Option<bool>("--qlora") { Description = "NF4 base (QLoRA), quantized layer by layer from CPU staging" };
var capOption = new Option<double?>("--max-device-memory")
{
    Description = "GiB of the CUDA device to leave the run, simulating a card of that size (the rest is held by one allocation)",
};
var gpusOption = new Option<int>("--gpus")
{
    Description = "data-parallel training over cuda:0 … cuda:N-1, a copy of the model each (a step then takes N micro-batches)",
    DefaultValueFactory = _ => 1,
};
var trainStep = new Command("train-step", "LoRA training throughput on random weights of a real shape (3 warm-up + 8 timed steps)")
{
    shapeOption, deviceOption, dtypeOption, batchOption, sequenceOption, rankOption, checkpointingOption, qloraOption, capOption, noGraphsOption,
    gpusOption,
};
trainStep.SetAction(parse =>
{
    var device = ComputeDevice.Select(parse.GetValue(deviceOption));
    using var ballast = DeviceBallast.Leave(parse.GetValue(capOption), device);
    bool qlora = parse.GetValue(qloraOption);
    long before = ComputeDevice.MemoryInUse(device.Device) ?? 0;
    int gpus = parse.GetValue(gpusOption);
    var devices = gpus == 1 ? [device.Device] : Enumerable.Range(0, gpus).Select(i => ComputeDevice.Select(DevicePreference.Cuda, i).Device).ToList();
    var models = devices.Select(d => RandomWeights.Model(parse.GetValue(shapeOption)!, DType(parse.GetValue(dtypeOption)!), d, qlora)).ToList();
    using var model = models[0];
    using var others = new Disposables(models.Skip(1));
    long baseInUse = ComputeDevice.MemoryInUse(device.Device) ?? 0;
    var config = model.Config;
    int rank = parse.GetValue(rankOption), batch = parse.GetValue(batchOption), sequence = parse.GetValue(sequenceOption);
    foreach (var copy in models)
    {
        LoraInjector.Apply(copy, new LoraConfig { Rank = rank, Alpha = 2 * rank });
        copy.GradientCheckpointing = parse.GetValue(checkpointingOption);
    }
    var random = new Random(0);
    var examples = Enumerable.Range(0, batch * 11 * gpus).Select(_ =>
    {
        var ids = Enumerable.Range(0, sequence).Select(_ => random.Next(config.VocabSize)).ToArray();
        return new EncodedExample(ids, ids.Select(i => (long)i).ToArray());
    }).ToList();
    var events = new List<TrainingEvent>();
    var result = new SftTrainer(models, new TrainingOptions
    {
        LearningRate = 1e-4, Epochs = 1, BatchSize = batch, GradientAccumulation = 1, MaxSteps = 11, CudaGraphs = !parse.GetValue(noGraphsOption),
    }).Run(examples, new CollectingProgress(events));
    double seconds = events[10].ElapsedSeconds - events[2].ElapsedSeconds;
    var quantized = model.Model.Layers.SelectMany(l => l.SelfAttention.BaseLayers.Values.Concat(l.Mlp.BaseLayers.Values))
        .OfType<StyleStudio.Training.Quantization.Nf4Linear>().ToList();
    // What the training form would have estimated for these settings, beside what the steps measured.
    var settings = new TrainConfig
    {
        FinetuningType = "lora", LoraRank = rank, LoraAlpha = 2 * rank, LoraTarget = "all", PerDeviceTrainBatchSize = batch,
        CutoffLen = sequence, Dtype = parse.GetValue(dtypeOption)!, QuantizationBit = qlora ? 4 : null,
        DisableGradientCheckpointing = !model.GradientCheckpointing,
    }.ToRequest();
    var estimate = MemoryEstimate.For(config, settings, new MemoryEstimateInput(sequence,
        device.Device.type == TorchSharp.DeviceType.CUDA ? MemoryMeasure.GpuMemory : MemoryMeasure.ProcessMemory,
        device.Device.type == TorchSharp.DeviceType.CUDA ? MemoryEstimate.CudaContextBytes : before + MemoryEstimate.CpuRuntimeBytes));
    Print(new
    {
        device = device.ToString(),
        shape = parse.GetValue(shapeOption),
        batch, sequence, rank,
        gradient_checkpointing = model.GradientCheckpointing,
        cuda_graphs = result.Graphs,
        gpus,
        reduction = result.Reduction,
        estimated_memory = estimate.TotalBytes,
        estimated_parts = new { weights = estimate.WeightBytes, trainable = estimate.TrainableBytes, activations = estimate.ActivationBytes, logits = estimate.LogitBytes, overhead = estimate.OverheadBytes },
        qlora,
        tokens_per_s = 8.0 * batch * sequence * gpus / seconds,
        device_memory_in_use = events.Max(e => e.MemoryBytes ?? 0),
        device_memory_before_model = before,
        device_memory_after_base_model = baseInUse,
        frozen_base_bytes = model.parameters().Where(p => !p.requires_grad).Sum(p => p.numel() * p.element_size()) + quantized.Sum(q => q.Quantized.StorageBytes),
        quantized_linear_bytes = quantized.Sum(q => q.Quantized.StorageBytes),
        quantized_bits_per_parameter = quantized.Count == 0 ? 0 : quantized.Sum(q => q.Quantized.StorageBytes) * 8.0 / quantized.Sum(q => q.Quantized.ElementCount),
        losses = events.Select(e => e.Loss),
    });
});

var rowsOption = new Option<int>("--rows") { DefaultValueFactory = _ => 1_000_000 };
var importCommand = new Command("data-import", "Import a generated JSONL of ~1 KB rows into a fresh data folder: rows/s and peak memory")
{
    rowsOption,
};
importCommand.SetAction(parse =>
{
    int count = parse.GetValue(rowsOption);
    string folder = Directory.CreateTempSubdirectory("stylestudio-import-bench-").FullName;
    string file = Path.Combine(folder, "pairs.jsonl");
    using (var writer = new StreamWriter(file))
        for (int i = 0; i < count; i++)
            writer.WriteLine(JsonSerializer.Serialize(new
            {
                instruction = "把下面的现代文改写成古风文言",
                input = $"第{i}行：今天天气很好，我们一起去公园散步，看看湖边的柳树和远处的青山。" + new string('好', 120),
                output = $"第{i}则：今日天朗气清，偕游于园，观湖畔之柳，望远处之青山。" + new string('善', 120),
                style = i % 3 == 0 ? "古风" : "文言",
            }, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    long bytes = new FileInfo(file).Length;
    var parseClock = Stopwatch.StartNew();
    StyleStudio.Data.Import.DatasetImporter.Import(file, new StyleStudio.Data.Import.ImportOptions(), _ => { });
    double parseSeconds = parseClock.Elapsed.TotalSeconds;
    var clock = Stopwatch.StartNew();
    using (var store = StyleStudio.Data.Storage.DataStore.Open(Path.Combine(folder, "data")))
        store.Import("bench", file, new StyleStudio.Data.Import.ImportOptions());
    double seconds = clock.Elapsed.TotalSeconds;
    Print(new { rows = count, file_bytes = bytes, read_and_map_rows_per_s = count / parseSeconds, seconds, rows_per_s = count / seconds, mb_per_s = bytes / 1e6 / seconds, peak_rss = ResidentMemory.Peak() });
    Directory.Delete(folder, recursive: true);
});

var streamsOption = new Option<int>("--streams") { DefaultValueFactory = _ => 64 };
var adaptersOption = new Option<int>("--adapters") { DefaultValueFactory = _ => 4 };
var slotsOption = new Option<int>("--slots") { Description = "KV cache slots (requests decoded together)", DefaultValueFactory = _ => 64 };
var serve = new Command("serve", "The serving engine: concurrent streams over the base and random adapters (see ServeBenchmark)")
{
    shapeOption, deviceOption, dtypeOption, streamsOption, adaptersOption, rankOption, slotsOption, noGraphsOption,
};
serve.SetAction(parse =>
{
    var device = ComputeDevice.Select(parse.GetValue(deviceOption));
    using var model = RandomWeights.Model(parse.GetValue(shapeOption)!, DType(parse.GetValue(dtypeOption)!), device.Device);
    var settings = new ServeBenchmark.Settings(parse.GetValue(streamsOption), parse.GetValue(adaptersOption), parse.GetValue(rankOption),
        64, 256, 128, parse.GetValue(slotsOption), !parse.GetValue(noGraphsOption));
    Print(new { device = device.ToString(), shape = parse.GetValue(shapeOption), dtype = parse.GetValue(dtypeOption), result = ServeBenchmark.Run(model, settings) });
});

var onlyOption = new Option<string?>("--only") { Description = "time only these forms: names, or prefixes ending in *, separated by commas (kernels*,persistent_at_256*)" };
var roundsOption = new Option<int>("--rounds") { Description = "times every form this many times, in turn (a form's median is reported)", DefaultValueFactory = _ => 1 };
var step = new Command("step", "A lone decode step in each form of the single-row kernels (see ServeBenchmark.Steps)")
{
    shapeOption, deviceOption, dtypeOption, onlyOption, roundsOption,
};
step.SetAction(parse =>
{
    var device = ComputeDevice.Select(parse.GetValue(deviceOption));
    using var model = RandomWeights.Model(parse.GetValue(shapeOption)!, DType(parse.GetValue(dtypeOption)!), device.Device);
    var settings = new ServeBenchmark.Settings(1, 0, 0, 64, 256, 128, 1, Graphs: true);
    Print(new { device = device.ToString(), shape = parse.GetValue(shapeOption), dtype = parse.GetValue(dtypeOption), result = ServeBenchmark.Steps(model, settings, parse.GetValue(onlyOption), parse.GetValue(roundsOption)) });
});

var folderOption = new Option<string>("--folder") { Description = "where the timelines are written", DefaultValueFactory = _ => "." };
var blocks = new Command("step-blocks", "Every block's barrier stamps in the persistent step (see ServeBenchmark.BlockTimelines)")
{
    shapeOption, deviceOption, dtypeOption, folderOption,
};
blocks.SetAction(parse =>
{
    var device = ComputeDevice.Select(parse.GetValue(deviceOption));
    using var model = RandomWeights.Model(parse.GetValue(shapeOption)!, DType(parse.GetValue(dtypeOption)!), device.Device);
    var settings = new ServeBenchmark.Settings(1, 0, 0, 64, 256, 128, 1, Graphs: true);
    Print(new { device = device.ToString(), shape = parse.GetValue(shapeOption), result = ServeBenchmark.BlockTimelines(model, settings, parse.GetValue(folderOption)!) });
});

var sequencesOption = new Option<int[]>("--sequences")
{
    Description = "sequence lengths to try, shortest first", AllowMultipleArgumentsPerToken = true,
    DefaultValueFactory = _ => [4096, 8192, 16384, 24576, 32768, 49152, 65536, 98304, 131072],
};
var offloadOption = new Option<bool>("--offload-checkpoints")
{
    Description = "the long-context memory mode: checkpoints in pinned host memory, each layer's MLP over 8k-token slices",
};
var longest = new Command("longest-sequence", "The longest training sequence (batch 1, LoRA, gradient checkpointing) that fits a memory cap")
{
    shapeOption, deviceOption, rankOption, qloraOption, capOption, sequencesOption, offloadOption,
};
longest.SetAction(parse =>
{
    var device = ComputeDevice.Select(parse.GetValue(deviceOption));
    Print(new
    {
        device = device.ToString(),
        result = LongestSequence.Run(parse.GetValue(shapeOption)!, parse.GetValue(qloraOption), parse.GetValue(rankOption),
            parse.GetValue(sequencesOption)!, device, parse.GetValue(capOption), parse.GetValue(offloadOption)),
    });
});

return await new RootCommand("StyleStudio benchmarks") { checkpoint, load, decode, trainStep, importCommand, serve, step, blocks, longest }.Parse(args).InvokeAsync();

sealed class Disposables(IEnumerable<IDisposable> items) : IDisposable
{
    public void Dispose()
    {
        foreach (var item in items) item.Dispose();
    }
}

sealed class CollectingProgress(List<TrainingEvent> events) : IProgress<TrainingEvent>
{
    public void Report(TrainingEvent value) => events.Add(value);
}
