using System.CommandLine;
using StyleStudio.Training;
using StyleStudio.Training.Runtime.Kernels;

namespace StyleStudio.Cli.Commands;

/// <summary><c>stylestudio info --model DIR</c>: architecture, size, dtype, context length, device and load speed.</summary>
static class InfoCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var device = CommonOptions.Device();
        var dtype = CommonOptions.DType();
        var json = CommonOptions.Json();
        var command = new Command("info", "Describe a model folder") { model, device, dtype, json };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            using var loaded = PretrainedModel.Load(parse.GetValue(model)!.FullName,
                ModelLoadOptions.Named(parse.GetValue(device), parse.GetValue(dtype)!));
            var config = loaded.Config;
            var facts = new
            {
                Architecture = config.Architecture,
                Parameters = loaded.ParameterCount,
                SavedDtype = config.SavedDType,
                ComputeDtype = loaded.Network.DType.ToString().ToLowerInvariant(),
                ContextLength = config.MaxPositionEmbeddings,
                Layers = config.NumHiddenLayers,
                HiddenSize = config.HiddenSize,
                AttentionHeads = config.NumAttentionHeads,
                KeyValueHeads = config.NumKeyValueHeads,
                VocabSize = config.VocabSize,
                TiedEmbeddings = config.TieWordEmbeddings,
                Device = loaded.Device.ToString(),
                // Our own kernels (NF4 dequantization for QLoRA): which compiler, or why the op sequences run instead.
                CudaKernels = !loaded.Device.IsCuda ? "not used off CUDA"
                    : RuntimeKernel.Compiler ?? $"off ({RuntimeKernel.Unavailable}): libtorch's op sequences run instead",
                LoadSeconds = Math.Round(loaded.Report.Elapsed.TotalSeconds, 3),
                LoadMegabytesPerSecond = Math.Round(loaded.Report.MegabytesPerSecond),
            };
            if (parse.GetValue(json))
            {
                CliOutput.PrintJson(facts);
                return 0;
            }
            Console.WriteLine($"architecture    {facts.Architecture}");
            Console.WriteLine($"parameters      {facts.Parameters:N0} ({facts.Parameters / 1e9:F2} B)");
            Console.WriteLine($"dtype           saved {facts.SavedDtype ?? "unknown"}, computing in {facts.ComputeDtype}");
            Console.WriteLine($"context length  {facts.ContextLength:N0} tokens");
            Console.WriteLine($"shape           {facts.Layers} layers, hidden {facts.HiddenSize}, {facts.AttentionHeads} heads / {facts.KeyValueHeads} KV heads, vocab {facts.VocabSize:N0}");
            Console.WriteLine($"device          {facts.Device}");
            Console.WriteLine($"cuda kernels    {facts.CudaKernels}");
            Console.WriteLine($"loaded in       {facts.LoadSeconds:F2} s ({facts.LoadMegabytesPerSecond:N0} MB/s)");
            return 0;
        }));
        return command;
    }
}
