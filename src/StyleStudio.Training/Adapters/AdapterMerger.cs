using StyleStudio.Training.Checkpoints;
using static TorchSharp.torch;

namespace StyleStudio.Training.Adapters;

/// <summary>Folds an adapter into its base model and saves the result as a plain Hugging Face checkpoint.</summary>
public static class AdapterMerger
{
    /// <summary>
    /// Loads <paramref name="baseFolder"/> on the CPU in fp32 (for precision), attaches the PEFT adapter in
    /// <paramref name="adapterFolder"/> and writes the merged checkpoint, in the base checkpoint's dtype, to <paramref name="outputFolder"/>.
    /// </summary>
    public static void MergeFolders(string baseFolder, string adapterFolder, string outputFolder, long maxShardBytes = 2L << 30)
    {
        using var loaded = PretrainedModel.Load(baseFolder, new ModelLoadOptions(Runtime.DevicePreference.Cpu, ScalarType.Float32));
        PeftAdapter.Load(loaded.Network, adapterFolder);
        MergeAndSave(loaded, outputFolder, maxShardBytes);
    }

    /// <summary>
    /// Merges in fp32 (load the base with fp32 compute for this), then writes in the base checkpoint's dtype under base
    /// names: adapter tensors dropped, <c>.base_layer.</c> removed, no lm_head when embeddings are tied.
    /// </summary>
    public static void MergeAndSave(PretrainedModel model, string outputFolder, long maxShardBytes = 2L << 30)
    {
        LoraInjector.MergeAll(model.Network);
        var tensors = model.Network.named_parameters()
            .Where(p => !p.name.Contains(".lora_"))
            .Select(p => (p.name.Replace(".base_layer.", "."), (Tensor)p.parameter))
            .ToList();
        HuggingFaceCheckpointWriter.Save(model.Folder, outputFolder, tensors, model.Config.SavedScalarType, maxShardBytes);
    }
}
