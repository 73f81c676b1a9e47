using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// A seed for one layer's random draws in one training forward, taken from the CPU generator (so it follows the run's
/// seed and is saved with checkpoints) and applied to the generator of the layer's device before it runs.
/// </summary>
readonly record struct LayerSeed(long Value, Device Device)
{
    public static LayerSeed Draw(Device device) => new(randint(long.MaxValue, [1], ScalarType.Int64).item<long>(), device);

    /// <summary>Seeds the generators the layer's dropout will draw from.</summary>
    public void Apply()
    {
        manual_seed(Value);
        if (Device.type == DeviceType.CUDA) cuda.manual_seed(Value);
    }
}
