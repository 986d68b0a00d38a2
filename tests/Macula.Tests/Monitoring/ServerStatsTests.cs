using Macula.Monitoring;
using Macula.Tests.Rpc;

namespace Macula.Tests.Monitoring;

public sealed class ServerStatsTests
{
    [Fact]
    public void Window_counts_the_last_seconds_and_forgets_older_ones()
    {
        var time = new ManualTimeProvider();
        var stats = new ServerStats(time);
        for (int i = 0; i < 5; i++)
        {
            long started = stats.Timestamp();
            time.Advance(TimeSpan.FromMilliseconds(2));
            stats.Record("S", "M", started, ServerCallOutcome.Ok, null);
        }

        long failed = stats.Timestamp();
        time.Advance(TimeSpan.FromMilliseconds(40));
        stats.Record("S", "M", failed, ServerCallOutcome.Error, "ApplicationError: System.InvalidOperationException");

        var now = stats.Snapshot("S", "M", 10);
        Assert.Equal(6, now.Calls);
        Assert.Equal(1, now.Errors);
        Assert.InRange(now.Latency.PercentileMs(0.5)!.Value, 1.75, 2.25);
        Assert.InRange(now.Latency.PercentileMs(0.99)!.Value, 35, 45);
        Assert.Equal("ApplicationError: System.InvalidOperationException", now.LastError);

        time.Advance(TimeSpan.FromSeconds(11));
        var later = stats.Snapshot("S", "M", 10);
        Assert.Equal(0, later.Calls);
        Assert.Equal(0, later.Latency.Count);
        // Totals are since the start, for $SRV.STATS.
        Assert.Equal(6, later.TotalCalls);
        Assert.Equal(1, later.TotalErrors);
        Assert.Equal(50_000, later.TotalMicros);

        // A bucket reused a minute later starts from zero.
        time.Advance(TimeSpan.FromSeconds(49));
        long again = stats.Timestamp();
        stats.Record("S", "M", again, ServerCallOutcome.Ok, null);
        Assert.Equal(1, stats.Snapshot("S", "M", 60).Calls);
    }

    [Fact]
    public void Cancelled_calls_count_as_calls_not_errors()
    {
        var stats = new ServerStats(new ManualTimeProvider());
        stats.Record("S", "M", stats.Timestamp(), ServerCallOutcome.Cancelled, null);
        var s = stats.Snapshot("S", "M", 10);
        Assert.Equal(1, s.Calls);
        Assert.Equal(0, s.Errors);
    }

    [Fact]
    public void The_last_error_names_the_type_not_the_message() =>
        Assert.Equal("ApplicationError: System.InvalidOperationException", ServerStats.ErrorOf(new InvalidOperationException("secret payload text")));
}
