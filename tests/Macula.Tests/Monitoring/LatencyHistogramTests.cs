using Macula.Monitoring;

namespace Macula.Tests.Monitoring;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Every_value_lands_in_a_bin_whose_midpoint_is_within_an_eighth()
    {
        for (long v = 1; v < 1L << 36; v = (v * 17 / 16) + 1)
        {
            int bin = LatencyHistogram.BinOf(v);
            double mid = LatencyHistogram.MidpointOf(bin);
            Assert.InRange(Math.Abs(mid - v) / v, 0, 0.125 + 1e-9);
        }
    }

    [Fact]
    public void Bins_are_ordered_and_cover_the_range()
    {
        Assert.Equal(0, LatencyHistogram.BinOf(0));
        Assert.Equal(0, LatencyHistogram.BinOf(-5));
        Assert.Equal(7, LatencyHistogram.BinOf(7));
        Assert.Equal(8, LatencyHistogram.BinOf(8));
        Assert.Equal(LatencyHistogram.BinCount - 1, LatencyHistogram.BinOf(long.MaxValue));
        int last = 0;
        for (long v = 0; v < 1_000_000; v += 7)
        {
            int bin = LatencyHistogram.BinOf(v);
            Assert.True(bin >= last);
            last = bin;
        }
    }

    [Fact]
    public void Percentiles_of_a_known_distribution()
    {
        var h = new LatencyHistogram();
        Assert.Null(h.PercentileMs(0.5));
        for (int i = 0; i < 98; i++)
        {
            h.Record(1_000); // 1 ms
        }

        h.Record(100_000); // 100 ms
        h.Record(100_000);
        Assert.Equal(100, h.Count);
        Assert.InRange(h.PercentileMs(0.5)!.Value, 0.875, 1.125);
        Assert.InRange(h.PercentileMs(0.98)!.Value, 0.875, 1.125);
        Assert.InRange(h.PercentileMs(0.99)!.Value, 87.5, 112.5);
    }

    [Fact]
    public void Merging_adds_counts()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(10);
        b.Record(10);
        b.Record(5_000);
        a.Add(b);
        Assert.Equal(3, a.Count);
        Assert.Equal(2, a[LatencyHistogram.BinOf(10)]);
    }
}
