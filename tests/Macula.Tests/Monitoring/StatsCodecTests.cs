using Macula.Rpc;
using Macula.Serialization;
using Macula.Monitoring;
using MessagePack;

namespace Macula.Tests.Monitoring;

public sealed class StatsCodecTests
{
    private static readonly MessagePackSerializerOptions Options = MaculaSerializer.CreateOptions();

    [Fact]
    public void A_reply_reads_back_as_written()
    {
        var latency = new LatencyHistogram();
        latency.Record(1_500);
        latency.Record(90_000);
        var report = new NodeStatsReport(
            "n1", "r", "1.2.3", "eu-1", "0.1.0", new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(10),
            new Dictionary<string, string> { ["version"] = "1.2.3", ["zone"] = "eu-1" },
            [new ServiceReport("math.calc", "macula.r.rpc.math.calc.n1", [new MethodWindowSnapshot("AddAsync", 2, 1, latency, 7, 3, 1234, "ApplicationError: X")])],
            [new ProviderHealthSnapshot("math.calc", "n2", 1.5, 2, 3, CircuitState.Open, "Timeout")],
            new MaculaDhtStats(4, 5, 6, 7, 8, 9, 10));

        var read = StatsCodec.ReadReply(StatsCodec.WriteReply(report), Options);

        Assert.Equal(("n1", "r", "1.2.3", "eu-1", "0.1.0"), (read.NodeId, read.Realm, read.Version, read.Zone, read.MaculaVersion));
        Assert.Equal(report.StartedAt, read.StartedAt);
        Assert.Equal(report.Uptime, read.Uptime);
        Assert.Equal(report.Window, read.Window);
        Assert.Equal(report.Metadata, read.Metadata);
        Assert.Equal(report.Dht, read.Dht);
        Assert.Equal(report.Providers, read.Providers);
        var service = Assert.Single(read.Services);
        Assert.Equal(("math.calc", "macula.r.rpc.math.calc.n1"), (service.Name, service.Subject));
        var m = Assert.Single(service.Methods);
        Assert.Equal(("AddAsync", 2L, 1L, 7L, 3L, 1234L, "ApplicationError: X"), (m.Method, m.Calls, m.Errors, m.TotalCalls, m.TotalErrors, m.TotalMicros, m.LastError));
        Assert.Equal(2, m.Latency.Count);
        Assert.Equal(1, m.Latency[LatencyHistogram.BinOf(90_000)]);
    }

    [Fact]
    public void A_missing_zone_is_null_not_invented()
    {
        var report = new NodeStatsReport("n1", "r", null, null, "0.1.0", DateTimeOffset.UnixEpoch, TimeSpan.Zero, TimeSpan.Zero, new Dictionary<string, string>(), [], [], new MaculaDhtStats(0, 0, 0, 0, 0, 0, 0));
        var read = StatsCodec.ReadReply(StatsCodec.WriteReply(report), Options);
        Assert.Null(read.Zone);
        Assert.Null(read.Version);
    }

    [Fact]
    public void A_forged_histogram_bin_is_refused()
    {
        using var buffer = new PooledBufferWriter();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(1);
        w.Write("services");
        w.WriteArrayHeader(1);
        w.WriteMapHeader(1);
        w.Write("methods");
        w.WriteArrayHeader(1);
        w.WriteMapHeader(1);
        w.Write("latency");
        w.WriteArrayHeader(2);
        w.Write(LatencyHistogram.BinCount);
        w.Write(1);
        w.Flush();

        var ex = Assert.Throws<MaculaSerializationException>(() => StatsCodec.ReadReply(buffer.WrittenSpan.ToArray(), Options));
        Assert.Contains("bin 144", ex.Message);
    }

    [Theory]
    [InlineData(new byte[0], 10)]
    [InlineData(new byte[] { 0xc1 }, 10)]
    [InlineData(new byte[] { 0x81, 0xa8, (byte)'w', (byte)'i', (byte)'n', (byte)'d', (byte)'o', (byte)'w', (byte)'_', (byte)'s', 0x1e }, 30)]
    public void A_request_window_or_the_default(byte[] body, int expected) =>
        Assert.Equal(expected, StatsCodec.ReadRequestWindow(body, 10));
}
