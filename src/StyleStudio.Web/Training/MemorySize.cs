namespace StyleStudio.Web.Training;

/// <summary>Device memory as people read it: GiB from one GiB up, else MiB (numbers in the current culture).</summary>
public static class MemorySize
{
    public static string Format(long bytes) => bytes >= 1L << 30
        ? $"{(bytes / (double)(1L << 30)).ToString("N2")} GiB"
        : $"{(bytes / (double)(1L << 20)).ToString("N0")} MiB";
}
