using System.Diagnostics;
using TorchSharp;

namespace StyleStudio.Training.Checkpoints;

/// <summary>How long a load took and how much it read.</summary>
public sealed record LoadReport(long Bytes, TimeSpan Elapsed, int Tensors)
{
    public double MegabytesPerSecond => Bytes / 1e6 / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Copies a checkpoint into a module's parameters by name. Every parameter must be present with its exact shape, and
/// every checkpoint tensor must be used, except tensors that transformers itself regenerates or ties.
/// </summary>
public static class WeightLoader
{
    /// <param name="loaded">Called with each parameter's name once it holds its weights.</param>
    public static LoadReport Load(torch.nn.Module module, SafetensorsCheckpoint checkpoint, Func<string, bool> isIgnorable,
        string folder, Action<string>? loaded = null)
    {
        var clock = Stopwatch.StartNew();
        var parameters = module.named_parameters().ToList();
        var missing = parameters.Select(p => p.name).Where(n => !checkpoint.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new ModelLoadException(folder, missing[0],
                $"{missing.Count} tensor(s) the model needs are missing from the checkpoint: {Preview(missing)} " +
                "(does config.json match these weights?)");

        var expected = parameters.Select(p => p.name).ToHashSet();
        var unexpected = checkpoint.TensorNames.Where(n => !expected.Contains(n) && !isIgnorable(n)).Order().ToList();
        if (unexpected.Count > 0)
            throw new ModelLoadException(checkpoint.FileOf(unexpected[0]), unexpected[0],
                $"{unexpected.Count} tensor(s) in the checkpoint have no place in the model: {Preview(unexpected)} " +
                "(does config.json match these weights?)");

        long bytes = 0;
        foreach (var (name, parameter) in parameters)
        {
            checkpoint.ReadInto(name, parameter);
            bytes += checkpoint.Entry(name).ByteLength;
            loaded?.Invoke(name);
        }
        return new LoadReport(bytes, clock.Elapsed, parameters.Count);
    }

    static string Preview(List<string> names) =>
        string.Join(", ", names.Take(5)) + (names.Count > 5 ? $", … ({names.Count - 5} more)" : "");
}
