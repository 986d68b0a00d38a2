namespace Macula.Monitoring;

/// <summary>
/// A small log-linear latency histogram in microseconds: values below 8 µs have a bin each; above, every power of two
/// is split into 4 bins, so a bin's midpoint is within 12.5% of any value in it. 144 bins reach 2^36 µs (19 hours);
/// longer values land in the last bin. Not thread-safe: <see cref="MethodStatsWindow"/> locks around it.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>How many bins there are; the wire carries bin indexes below it (docs/wire-protocol.md, "Stats").</summary>
    public const int BinCount = 144;

    private readonly long[] _counts = new long[BinCount];

    public long Count { get; private set; }

    public static int BinOf(long micros)
    {
        if (micros < 8)
        {
            return micros < 0 ? 0 : (int)micros;
        }

        int k = 63 - (int)long.LeadingZeroCount(micros);
        int sub = (int)((micros >> (k - 2)) & 3);
        int bin = 8 + ((k - 3) * 4) + sub;
        return bin >= BinCount ? BinCount - 1 : bin;
    }

    /// <summary>The bin's midpoint in microseconds (its value for percentiles).</summary>
    public static double MidpointOf(int bin)
    {
        if (bin < 8)
        {
            return bin;
        }

        int k = ((bin - 8) / 4) + 3;
        int sub = (bin - 8) % 4;
        double width = Math.Pow(2, k - 2);
        return ((4 + sub) * width) + (width / 2);
    }

    public void Record(long micros) => Add(BinOf(micros), 1);

    public void Add(int bin, long count)
    {
        if ((uint)bin >= BinCount || count <= 0)
        {
            return;
        }

        _counts[bin] += count;
        Count += count;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < BinCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    public long this[int bin] => _counts[bin];

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
    }

    /// <summary>The <paramref name="quantile"/> (0..1) in milliseconds, or null when nothing was recorded.</summary>
    public double? PercentileMs(double quantile)
    {
        if (Count == 0)
        {
            return null;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(quantile * Count));
        long seen = 0;
        for (int i = 0; i < BinCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return MidpointOf(i) / 1000.0;
            }
        }

        return MidpointOf(BinCount - 1) / 1000.0;
    }
}
