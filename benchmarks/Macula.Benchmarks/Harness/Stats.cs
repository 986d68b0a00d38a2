namespace Macula.Benchmarks.Harness;

/// <summary>Percentiles and medians for the hand-rolled runs (e2e, failover).</summary>
internal static class Stats
{
    /// <summary>The <paramref name="percentile"/> (0..100) of <paramref name="sorted"/> by the nearest-rank rule, as the Go peer computes it.</summary>
    public static double Percentile(double[] sorted, double percentile)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        int index = (int)(sorted.Length * percentile / 100);
        return sorted[Math.Min(index, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
