namespace StyleStudio.Training.Runtime;

/// <summary>Where to run: <see cref="Auto"/> takes CUDA when a CUDA libtorch and a GPU are present, else the CPU.</summary>
public enum DevicePreference
{
    Auto,
    Cpu,
    Cuda,
}
