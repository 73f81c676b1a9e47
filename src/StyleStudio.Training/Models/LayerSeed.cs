using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// A seed for one layer's random draws in one training forward, taken from the CPU generator (so it follows the run's
/// seed and is saved with checkpoints) and applied to the generator of the layer's device before it runs.
/// A model without dropout draws nothing: then no seed is applied, which keeps the step free of generator calls (a
/// CUDA graph capture refuses reseeding) and of their host time.
/// </summary>
readonly record struct LayerSeed(long Value, Device Device, bool Needed = true)
{
    /// <param name="needed">Whether the layer draws random numbers at all; false gives a seed that applies nothing.</param>
    public static LayerSeed Draw(Device device, bool needed = true) =>
        needed ? new(randint(long.MaxValue, [1], ScalarType.Int64).item<long>(), device) : new(0, device, Needed: false);

    /// <summary>Seeds the generators the layer's dropout will draw from.</summary>
    public void Apply()
    {
        if (!Needed) return;
        manual_seed(Value);
        if (Device.type == DeviceType.CUDA) cuda.manual_seed(Value);
    }
}
