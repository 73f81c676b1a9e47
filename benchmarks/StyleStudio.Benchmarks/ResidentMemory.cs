namespace StyleStudio.Benchmarks;

/// <summary>Resident set size of this process from /proc (Linux), in bytes.</summary>
static class ResidentMemory
{
    public static long Current() => Read("VmRSS:");

    public static long Peak() => Read("VmHWM:");

    static long Read(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
    }
}
