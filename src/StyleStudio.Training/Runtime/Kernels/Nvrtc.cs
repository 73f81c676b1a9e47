using System.Runtime.InteropServices;
using System.Text;

namespace StyleStudio.Training.Runtime.Kernels;

/// <summary>
/// NVIDIA's run-time CUDA C compiler. TorchSharp has no kernel compiler, but every CUDA libtorch comes with NVRTC (its
/// own fusers compile with it): TorchSharp's libtorch-cuda packages put it beside <c>libtorch_cuda.so</c>, a PyTorch
/// install under <c>site-packages/nvidia/*/lib</c>, a CUDA toolkit on the loader's path. Kernels are compiled to the
/// device's own machine code (CUBIN) when this NVRTC knows its architecture, otherwise to PTX for the driver to finish.
/// </summary>
unsafe sealed class Nvrtc
{
    readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> createProgram;
    readonly delegate* unmanaged<nint, int, byte**, int> compileProgram;
    readonly delegate* unmanaged<nint*, int> destroyProgram;
    readonly delegate* unmanaged<nint, nuint*, int> logSize, cubinSize, ptxSize;
    readonly delegate* unmanaged<nint, byte*, int> log, cubin, ptx;
    readonly delegate* unmanaged<int*, int> archCount;
    readonly delegate* unmanaged<int*, int> archs;
    readonly delegate* unmanaged<int*, int*, int> version;

    public string Path { get; }

    Nvrtc(nint library, string path)
    {
        Path = path;
        nint Find(string symbol) => NativeLibrary.GetExport(library, symbol);
        createProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)Find("nvrtcCreateProgram");
        compileProgram = (delegate* unmanaged<nint, int, byte**, int>)Find("nvrtcCompileProgram");
        destroyProgram = (delegate* unmanaged<nint*, int>)Find("nvrtcDestroyProgram");
        logSize = (delegate* unmanaged<nint, nuint*, int>)Find("nvrtcGetProgramLogSize");
        log = (delegate* unmanaged<nint, byte*, int>)Find("nvrtcGetProgramLog");
        cubinSize = (delegate* unmanaged<nint, nuint*, int>)Find("nvrtcGetCUBINSize");
        cubin = (delegate* unmanaged<nint, byte*, int>)Find("nvrtcGetCUBIN");
        ptxSize = (delegate* unmanaged<nint, nuint*, int>)Find("nvrtcGetPTXSize");
        ptx = (delegate* unmanaged<nint, byte*, int>)Find("nvrtcGetPTX");
        archCount = (delegate* unmanaged<int*, int>)Find("nvrtcGetNumSupportedArchs");
        archs = (delegate* unmanaged<int*, int>)Find("nvrtcGetSupportedArchs");
        version = (delegate* unmanaged<int*, int*, int>)Find("nvrtcVersion");
    }

    public static (Nvrtc? Compiler, string? Unavailable) TryLoad()
    {
        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            tried.Add(candidate);
            if (!NativeLibrary.TryLoad(candidate, out var library)) continue;
            try
            {
                return (new Nvrtc(library, candidate), null);
            }
            catch (EntryPointNotFoundException)
            {
            }
        }
        return (null, $"NVRTC was not found (tried {string.Join(", ", tried)})");
    }

    /// <summary>Where NVRTC may be: beside the loaded libtorch first (the one built for it), then the loader's path.</summary>
    static IEnumerable<string> Candidates()
    {
        var torchDirectory = LoadedLibraryDirectory("libtorch_cuda.so");
        if (torchDirectory is not null)
        {
            var directories = new List<string> { torchDirectory };
            var packages = System.IO.Path.GetFullPath(System.IO.Path.Combine(torchDirectory, "..", "..", "nvidia"));
            if (Directory.Exists(packages))
                directories.AddRange(Directory.EnumerateDirectories(packages, "lib", SearchOption.AllDirectories));
            foreach (var directory in directories)
                foreach (var file in Directory.EnumerateFiles(directory, "libnvrtc*.so*").Order())
                    if (!System.IO.Path.GetFileName(file).Contains("builtins", StringComparison.Ordinal)
                        && !System.IO.Path.GetFileName(file).Contains("alt", StringComparison.Ordinal))
                        yield return file;
        }
        foreach (var name in new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" })
            yield return name;
    }

    /// <summary>The folder of a shared library this process has loaded, from the kernel's map of the process.</summary>
    static string? LoadedLibraryDirectory(string fileName)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash < 0) continue;
                var path = line[slash..];
                if (System.IO.Path.GetFileName(path) == fileName) return System.IO.Path.GetDirectoryName(path);
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    public string Version
    {
        get
        {
            int major, minor;
            return version(&major, &minor) == 0 ? $"{major}.{minor}" : "?";
        }
    }

    /// <summary>Compiles <paramref name="source"/> for a device of compute capability <paramref name="capability"/> (90 = 9.0).</summary>
    /// <exception cref="CudaException">The source does not compile; the message carries NVRTC's log.</exception>
    public byte[] Compile(string name, string source, int capability, IReadOnlyList<string> options)
    {
        var (target, machineCode) = Target(capability);
        var arguments = new List<string>(options) { $"--gpu-architecture={(machineCode ? "sm" : "compute")}_{target}" };
        nint program;
        var sourceBytes = Encoding.UTF8.GetBytes(source + "\0");
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* text = sourceBytes, title = nameBytes)
            Check(createProgram(&program, text, title, 0, null, null), "nvrtcCreateProgram", program: 0);
        try
        {
            var handles = arguments.Select(a => Marshal.StringToCoTaskMemUTF8(a)).ToArray();
            try
            {
                var pointers = stackalloc byte*[handles.Length];
                for (int i = 0; i < handles.Length; i++) pointers[i] = (byte*)handles[i];
                Check(compileProgram(program, handles.Length, pointers), $"compiling {name} ({string.Join(' ', arguments)})", program);
            }
            finally
            {
                foreach (var handle in handles) Marshal.FreeCoTaskMem(handle);
            }
            return machineCode ? Read(program, cubinSize, cubin) : Read(program, ptxSize, ptx);
        }
        finally
        {
            destroyProgram(&program);
        }
    }

    /// <summary>The device's own architecture when this NVRTC can emit its machine code, else the newest below it as PTX.</summary>
    (int Architecture, bool MachineCode) Target(int capability)
    {
        int count;
        if (archCount(&count) != 0 || count == 0) return (capability, false);
        var supported = new int[count];
        fixed (int* list = supported) archs(list);
        if (supported.Contains(capability)) return (capability, true);
        var below = supported.Where(a => a <= capability).DefaultIfEmpty(supported.Min()).Max();
        return (below, false);
    }

    static byte[] Read(nint program, delegate* unmanaged<nint, nuint*, int> size, delegate* unmanaged<nint, byte*, int> read)
    {
        nuint length;
        size(program, &length);
        var image = new byte[(int)length];
        fixed (byte* data = image) read(program, data);
        return image;
    }

    void Check(int result, string what, nint program)
    {
        if (result == 0) return;
        string details = "";
        if (program != 0)
        {
            nuint length;
            if (logSize(program, &length) == 0 && length > 1)
            {
                var text = new byte[(int)length];
                fixed (byte* data = text) log(program, data);
                details = ": " + Encoding.UTF8.GetString(text).TrimEnd('\0').Trim();
            }
        }
        throw new CudaException($"NVRTC failed {what} (error {result}){details}");
    }
}
