using System.Collections.Concurrent;
using System.Diagnostics;

namespace Macula.Monitoring;

/// <summary>
/// Records every call a node's providers dispatch, once, into both <c>macula.rpc.server.duration</c> (for OpenTelemetry)
/// and the node's own <see cref="MethodStatsWindow"/>s (for the stats reply and <c>$SRV.STATS</c>): one reading of the
/// clock feeds both, so the dashboard and the meters count the same calls (docs/dashboard.md says why not a MeterListener).
/// </summary>
internal sealed class ServerStats
{
    private readonly ConcurrentDictionary<(string Service, string Method), MethodStatsWindow> _methods = new();
    private readonly TimeProvider _time;

    public ServerStats(TimeProvider time) => _time = time;

    public long Timestamp() => _time.GetTimestamp();

    /// <summary>The current second on this node's clock (the ring's bucket index).</summary>
    public long CurrentSecond() => _time.GetTimestamp() / _time.TimestampFrequency;

    /// <summary>
    /// What a failed call's <c>last_error</c> says: the error code and the exception's type, never its message (a
    /// message may quote user data, and <c>$SRV.STATS</c> is readable by the whole NATS account).
    /// </summary>
    public static string ErrorOf(Exception ex) => $"{nameof(MaculaErrorCode.ApplicationError)}: {ex.GetType().FullName}";

    public void Record(string service, string method, long started, ServerCallOutcome outcome, string? error)
    {
        long now = _time.GetTimestamp();
        long ticks = Math.Max(0, now - started);
        double ms = ticks * 1000.0 / _time.TimestampFrequency;
        MaculaDiagnostics.ServerDuration.Record(ms, new TagList
        {
            { MaculaDiagnostics.Tags.RpcService, service },
            { MaculaDiagnostics.Tags.RpcMethod, method },
            { MaculaDiagnostics.Tags.Outcome, Outcome(outcome) },
        });
        var window = _methods.GetOrAdd((service, method), static key => new MethodStatsWindow(key.Service, key.Method));
        window.Record(now / _time.TimestampFrequency, (long)(ticks * 1_000_000.0 / _time.TimestampFrequency), outcome, error);
    }

    /// <summary>The figures of <paramref name="method"/> over the last <paramref name="seconds"/> seconds (zeros when it was never called).</summary>
    public MethodWindowSnapshot Snapshot(string service, string method, int seconds)
    {
        long now = CurrentSecond();
        return _methods.TryGetValue((service, method), out var window)
            ? window.Snapshot(now, seconds)
            : new MethodWindowSnapshot(method, 0, 0, new LatencyHistogram(), 0, 0, 0, "");
    }

    internal static string Outcome(ServerCallOutcome outcome) => outcome switch
    {
        ServerCallOutcome.Ok => "ok",
        ServerCallOutcome.Cancelled => "cancelled",
        _ => "error",
    };
}
