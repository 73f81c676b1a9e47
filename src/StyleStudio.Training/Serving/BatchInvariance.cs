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
    static readonly ConcurrentDictionary<ScalarType, int> MeasuredColumns = new();

    /// <summary>
    /// The fewest output columns an adapter's down-projection (x · Aᵀ over every attached adapter's rank rows) must have
    /// for a column's value not to depend on how many there are or where it sits: libtorch's CPU GEMM takes another
    /// kernel for a narrow product (on the machines here, fewer than 16 columns with more than one row), so attaching a
    /// second adapter beside a lone rank-8 one moved the first one's text. The bank starts its rank axis with this many
    /// zero columns (see AdapterBank.Columns). 1 on CUDA (cuBLAS chooses by size anyway, as for rows).
    /// </summary>
    public static int MinimumColumns(Device device, ScalarType dtype) =>
        device.type == DeviceType.CPU ? MeasuredColumns.GetOrAdd(dtype, ProbeColumns) : 1;

    static int ProbeColumns(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(19);
        var weight = randn([320, 256], generator: generator).to(dtype);
        var rows = randn([1, 8, 256], generator: generator).to(dtype);           // a prompt pass: linear over [n, T, in]
        var row = randn([3, 1, 256], generator: generator).to(dtype);            // a row-wise decode step: bmm per row
        Tensor Prompt(Tensor w) => nn.functional.linear(rows, w);
        Tensor Step(Tensor w) => row.bmm(w.t().unsqueeze(0).expand(3, w.size(1), w.size(0)));
        foreach (int columns in new[] { 1, 8, 16, 32, 64 })
        {
            bool Agrees(Func<Tensor, Tensor> product, int offset, int total) =>
                product(weight.narrow(0, 0, total)).narrow(2, offset, columns).eq(product(weight.narrow(0, offset, columns))).all().item<bool>();
            bool stable = new[] { 0, 4, 8, 12, 20 }.All(offset =>
                Enumerable.Range(0, 17).Select(step => offset + columns + 4 * step).Append(256).Append(320)
                    .All(total => Agrees(Prompt, offset, total) && Agrees(Step, offset, total)));
            if (stable) return columns;
        }
        return 64;
    }

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
