using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Macula.Tests.Rpc;

[CollectionDefinition(nameof(DiagnosticsCollection), DisableParallelization = true)]
public sealed class DiagnosticsCollection;

[Collection(nameof(DiagnosticsCollection))]
public sealed class DiagnosticsTests
{
    private static readonly ActivitySource TestSource = new("Macula.Tests.Root");

    [Fact]
    public async Task Client_span_per_call_child_per_attempt_and_server_span_linked_by_traceparent()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is MaculaDiagnostics.SourceName or "Macula.Tests.Root",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var mesh = await ProbeMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.NoResponders = true;
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First });

        ActivityTraceId traceId;
        using (var root = TestSource.StartActivity("test-root"))
        {
            traceId = root!.TraceId;
            Assert.Equal(7, await probe.AddAsync(3, 4));
        }

        await WaitUntilAsync(() => stopped.Any(a => a.TraceId == traceId && a.Kind == ActivityKind.Server));
        var trace = stopped.Where(a => a.TraceId == traceId).ToList();
        var call = Assert.Single(trace, a => a.Kind == ActivityKind.Client && a.DisplayName == "Probe/AddAsync");
        var attempts = trace.Where(a => a.DisplayName == "attempt").OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(call.SpanId, a.ParentSpanId));
        Assert.Equal("p0", attempts[0].GetTagItem("macula.node_id"));
        Assert.Equal(ActivityStatusCode.Error, attempts[0].Status);
        Assert.Equal("p1", attempts[1].GetTagItem("macula.node_id"));
        var server = Assert.Single(trace, a => a.Kind == ActivityKind.Server);
        Assert.Equal(attempts[1].SpanId, server.ParentSpanId);
        Assert.Equal("p1", server.GetTagItem("macula.node_id"));
    }

    [Fact]
    public async Task Meter_counts_calls_errors_failovers_and_durations()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MaculaDiagnostics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.Start();

        await using var mesh = await ProbeMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.NoResponders = true;
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First });
        await probe.AddAsync(1, 1);
        await Assert.ThrowsAsync<MaculaRemoteException>(() => probe.FailAsync("x").AsTask());

        var mine = measurements.Where(m => Equals(m.Tags.GetValueOrDefault("rpc.service"), "Probe")).ToList();
        Assert.Equal(2, mine.Where(m => m.Instrument == "macula.rpc.calls").Sum(m => m.Value));
        Assert.Equal(2, mine.Count(m => m.Instrument == "macula.rpc.duration"));
        // The second call does not fail over: the first evicted the provider nobody listens for.
        Assert.Equal(1, mine.Where(m => m.Instrument == "macula.rpc.failovers").Sum(m => m.Value));
        var error = Assert.Single(mine, m => m.Instrument == "macula.rpc.errors");
        Assert.Equal("ApplicationError", error.Tags["macula.error_code"]);
        Assert.Equal(0, mine.Where(m => m.Instrument == "macula.rpc.in_flight").Sum(m => m.Value));
        Assert.Contains(measurements, m => m.Instrument == "macula.discovery.cache_hits");
        Assert.Contains(measurements, m => m.Instrument == "macula.discovery.lookups");
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, object?>();
        foreach (var t in tags)
        {
            d[t.Key] = t.Value;
        }

        return d;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "condition not met within 5 s");
    }
}
