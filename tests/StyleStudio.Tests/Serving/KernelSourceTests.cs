using System.Diagnostics;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Serving;

/// <summary>
/// Our CUDA sources compile to PTX with Debian's clang (tools/kernels/check.sh, a prelude standing in for NVRTC's
/// built-ins): this machine has no NVRTC and no GPU, so without it a kernel edit that does not compile would first fail
/// on the GPU box. The GPU tests (<see cref="SingleRowKernelTests"/>) hold what the kernels compute.
/// </summary>
public class KernelSourceTests
{
    [Fact]
    public async Task The_decode_kernels_compile_to_ptx()
    {
        if (!File.Exists("/usr/bin/clang++-16")) Assert.Skip("clang-16 is not installed here (.ci/run installs it)");
        string root = Fixtures.RepositoryRoot();
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "tools", "kernels", "check.sh"),
            Path.Combine(root, "src", "StyleStudio.Training", "Serving", "decode_kernels.cu")])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, await errors);
        // Six kernels (embed, q|k|v, attention, residual, gate|up, head) for each of bf16, fp16 and fp32.
        Assert.EndsWith("decode_kernels.cu: 18 kernels", (await output).Trim());
    }
}
