using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Serving;

/// <summary>
/// Keeping a row's arithmetic independent of what runs beside it. libtorch's CPU GEMM takes other code paths for a few
/// rows (a matrix–vector kernel for one, edge kernels for the rows past a multiple of its block), and they round
/// differently: a request decoded alone and the same request in a batch of three parted ways at a near-tie. So on the
/// CPU decode steps multiply each row on its own (as a lone row always was: a batch of 4 in one GEMM would cost a
/// single stream 2–3× its matrix–vector time), and prompt passes, whose products have many rows, pad them to the
/// multiple measured here — once per process and dtype, by multiplying the same rows in products of many sizes; on the
/// x86-64 machines here (libtorch 2.10) every multiple of 4 agrees, and attention over any cache span agrees too. On
/// CUDA, cuBLAS chooses kernels by size as well and no multiple makes them agree: not attempted there (1).
/// </summary>
internal static class BatchInvariance
{
    static readonly ConcurrentDictionary<ScalarType, int> Measured = new();

    public static int RowMultiple(Device device, ScalarType dtype) =>
        device.type == DeviceType.CPU ? Measured.GetOrAdd(dtype, Probe) : 1;

    static int Probe(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(17);
        var weight = randn([128, 512], generator: generator).to(dtype);
        var input = randn([64, 512], generator: generator).to(dtype);
        var all = nn.functional.linear(input, weight);
        bool Agrees(int rows) => nn.functional.linear(input.narrow(0, 0, rows), weight).eq(all.narrow(0, 0, rows)).all().item<bool>();
        foreach (int multiple in new[] { 1, 2, 4, 8, 16 })
            if (Enumerable.Range(1, 64 / multiple).All(k => Agrees(k * multiple)))
                return multiple;
        return 16;
    }
}
