namespace Macula.Monitoring;

/// <summary>
/// One method's server-side figures on one node: totals since the node started (for <c>$SRV.STATS</c>) and a ring of
/// 60 one-second buckets, each with calls, errors and a <see cref="LatencyHistogram"/> (for the mesh stats). Memory is
/// fixed: 60 histograms of 144 longs, allocated when a second first sees a call.
/// </summary>
internal sealed class MethodStatsWindow
{
    public const int Seconds = 60;

    private readonly Bucket[] _ring = new Bucket[Seconds];
    private readonly object _gate = new();
    private long _totalCalls;
    private long _totalErrors;
    private long _totalMicros;
    private string _lastError = "";

    public MethodStatsWindow(string service, string method)
    {
        Service = service;
        Method = method;
    }

    public string Service { get; }

    public string Method { get; }

    public void Record(long second, long micros, ServerCallOutcome outcome, string? error)
    {
        lock (_gate)
        {
            ref var bucket = ref _ring[(int)(second % Seconds)];
            if (bucket.Second != second || bucket.Latency is null)
            {
                bucket.Second = second;
                bucket.Calls = 0;
                bucket.Errors = 0;
                if (bucket.Latency is null)
                {
                    bucket.Latency = new LatencyHistogram();
                }
                else
                {
                    bucket.Latency.Clear();
                }
            }

            bucket.Calls++;
            bucket.Latency.Record(micros);
            _totalCalls++;
            _totalMicros += micros;
            if (outcome == ServerCallOutcome.Error)
            {
                bucket.Errors++;
                _totalErrors++;
                _lastError = error ?? "";
            }
        }
    }

    /// <summary>Sums the buckets of the seconds in (<paramref name="now"/> - <paramref name="seconds"/>, <paramref name="now"/>].</summary>
    public MethodWindowSnapshot Snapshot(long now, int seconds)
    {
        var latency = new LatencyHistogram();
        long calls = 0, errors = 0;
        lock (_gate)
        {
            foreach (var bucket in _ring)
            {
                if (bucket.Latency is not null && bucket.Second > now - seconds && bucket.Second <= now)
                {
                    calls += bucket.Calls;
                    errors += bucket.Errors;
                    latency.Add(bucket.Latency);
                }
            }

            return new MethodWindowSnapshot(Method, calls, errors, latency, _totalCalls, _totalErrors, _totalMicros, _lastError);
        }
    }

    private struct Bucket
    {
        public long Second;
        public long Calls;
        public long Errors;
        public LatencyHistogram? Latency;
    }
}

/// <summary>How a dispatched call ended, as <c>macula.rpc.server.duration</c>'s <c>macula.outcome</c> tag says it.</summary>
internal enum ServerCallOutcome
{
    Ok,
    Error,
    Cancelled,
}

/// <summary>One method's figures over a window plus its totals; what the stats reply carries per method.</summary>
internal sealed record MethodWindowSnapshot(string Method, long Calls, long Errors, LatencyHistogram Latency, long TotalCalls, long TotalErrors, long TotalMicros, string LastError);
