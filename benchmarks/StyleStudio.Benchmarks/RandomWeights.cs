using TorchSharp;
using StyleStudio.Training.Models;
using static TorchSharp.torch;

namespace StyleStudio.Benchmarks;

/// <summary>Fills a model with transformers-like random init (normal 0.02, norms at 1) for speed measurements.</summary>
static class RandomWeights
{
    /// <summary>
    /// A model of a known shape (see <see cref="ModelShapes"/>) with random weights, built straight on the device; with
    /// <paramref name="quantize4Bit"/> the projections are filled on the CPU and quantized onto the device layer by layer,
    /// as a QLoRA load does.
    /// </summary>
    /// <param name="maxPositions">A longer context than the shape's own, for memory measurements of long sequences.</param>
    public static CausalLM Model(string shape, ScalarType dtype, Device device, bool quantize4Bit = false, int? maxPositions = null)
    {
        string folder = Directory.CreateTempSubdirectory("stylestudio-shape-").FullName;
        var config = ModelShapes.Get(shape);
        if (maxPositions is { } positions && positions > (int)config["max_position_embeddings"]!) config["max_position_embeddings"] = positions;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var model = new CausalLM(ModelConfig.Load(folder), dtype, device, quantize4Bit ? CPU : null);
        Fill(model, seed: 0);
        if (quantize4Bit)
            foreach (var layer in model.Model.Layers) layer.QuantizeProjections(device);
        return model;
    }

    public static void Fill(CausalLM model, long seed)
    {
        manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) parameter.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.zero_();
            else if (parameter.device.type == DeviceType.CPU && model.Device.type == DeviceType.CUDA)
                // Projections staged on the CPU for quantization: drawn on the GPU and copied over, which takes seconds
                // where the CPU's generator took minutes at 7B.
                parameter.copy_(empty(parameter.shape, parameter.dtype, model.Device).normal_(0, 0.02));
            else parameter.normal_(0, 0.02);
        }
    }
}
