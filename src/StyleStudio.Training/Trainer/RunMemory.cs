using StyleStudio.Training.Models;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// Memory of a run in this process: the estimate before it starts (from the model's shape and the encoded examples'
/// lengths, with what the process already holds as its baseline) and the peak it then reached.
/// </summary>
public static class RunMemory
{
    /// <summary>
    /// The estimate for training <paramref name="conversations"/> with <paramref name="settings"/> in this process, before
    /// the model is loaded. On CPU the figure is the process's resident memory, so what it holds now is the baseline.
    /// </summary>
    public static MemoryEstimate Estimate(RunRequest settings, IReadOnlyList<Conversation> conversations, bool gpu)
    {
        string model = settings.ModelPath ?? throw new RunSettingException("model_name_or_path", "set model_name_or_path (the model folder)");
        var encoder = new ExampleEncoder(PromptTemplates.Get(settings.Template), TextTokenizer.Load(model), settings.CutoffLen, settings.TrainOnPrompt);
        var train = DatasetSplit.Split(conversations.Select(c => encoder.Encode(c).Length).ToList(), settings.ValSize, settings.Seed).Train;
        int sequence = settings.Packing || train.Count == 0 ? settings.CutoffLen : train.Max();
        var measure = gpu ? MemoryMeasure.GpuMemory : MemoryMeasure.ProcessMemory;
        long overhead = gpu ? MemoryEstimate.CudaContextBytes : Environment.WorkingSet + MemoryEstimate.CpuRuntimeBytes;
        return MemoryEstimate.For(ModelConfig.Load(model), settings, new MemoryEstimateInput(sequence, measure, overhead));
    }

    /// <summary>
    /// The process's peak resident memory so far (VmHWM, the kernel's high-water mark) on Linux; null elsewhere. Unlike
    /// the per-step figures, sampled between steps, it holds the peak inside a step too.
    /// </summary>
    public static long? PeakResidentBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
