using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Macula;

/// <summary>
/// The names of Macula's <see cref="ActivitySource"/> and <see cref="Meter"/>, for OpenTelemetry or any listener:
/// <c>builder.AddSource(MaculaDiagnostics.SourceName)</c>, <c>builder.AddMeter(MaculaDiagnostics.MeterName)</c>.
/// </summary>
public static class MaculaDiagnostics
{
    /// <summary>The activity source name: a client span per call, a child per attempt, a server span per handled call, a producer span per published event and a consumer span per received one.</summary>
    public const string SourceName = "Macula";

    /// <summary>The meter name: calls, errors, failovers, durations, calls in flight, open circuits, discovery, events.</summary>
    public const string MeterName = "Macula";

    internal static readonly ActivitySource Source = new(SourceName, typeof(MaculaDiagnostics).Assembly.GetName().Version?.ToString());

    internal static readonly Meter Meter = new(MeterName, typeof(MaculaDiagnostics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Calls = Meter.CreateCounter<long>("macula.rpc.calls", "{call}", "Typed calls made by clients.");

    internal static readonly Counter<long> Errors = Meter.CreateCounter<long>("macula.rpc.errors", "{call}", "Calls that ended with an error, by error code.");

    internal static readonly Counter<long> Failovers = Meter.CreateCounter<long>("macula.rpc.failovers", "{attempt}", "Attempts that failed and moved to another provider.");

    internal static readonly Counter<long> Hedges = Meter.CreateCounter<long>("macula.rpc.hedges", "{attempt}", "Hedged second attempts started.");

    internal static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("macula.rpc.duration", "ms", "Duration of typed calls, all attempts included.");

    internal static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>("macula.rpc.in_flight", "{call}", "Calls in flight from clients.");

    internal static readonly Counter<long> ServerCalls = Meter.CreateCounter<long>("macula.rpc.server.calls", "{call}", "Calls handled by providers, by status.");

    internal static readonly Counter<long> CircuitOpened = Meter.CreateCounter<long>("macula.rpc.circuit.opened", "{event}", "Times a provider's circuit opened.");

    internal static readonly Counter<long> DiscoveryLookups = Meter.CreateCounter<long>("macula.discovery.lookups", "{lookup}", "Lookups sent to the registry (cache misses).");

    internal static readonly Counter<long> Rejections = Meter.CreateCounter<long>("macula.security.rejections", "{message}", "Records, withdrawals, DHT replies and announcements refused by the signature, trust or ownership rules, by kind.");

    internal static readonly Counter<long> DiscoveryCacheHits = Meter.CreateCounter<long>("macula.discovery.cache_hits", "{lookup}", "Lookups answered by the discovery cache.");

    internal static readonly Counter<long> EventsPublished = Meter.CreateCounter<long>("macula.events.published", "{event}", "Events handed to the transport by publishers, by contract and event.");

    internal static readonly Counter<long> EventsReceived = Meter.CreateCounter<long>("macula.events.received", "{event}", "Events whose subscriber's handler completed, by contract and event.");

    internal static readonly Counter<long> EventHandlerErrors = Meter.CreateCounter<long>("macula.events.handler_errors", "{event}", "Events whose subscriber's handler threw, by contract and event.");

    internal static readonly Counter<long> EventsDropped = Meter.CreateCounter<long>("macula.events.dropped", "{event}", "Events dropped before a handler saw them (bad payload, unknown event, other wire version), by contract and reason.");

    private static int _openCircuits;

    static MaculaDiagnostics()
    {
        Meter.CreateObservableGauge("macula.rpc.circuit.open", () => Volatile.Read(ref _openCircuits), "{circuit}", "Provider circuits currently open.");
    }

    internal static void CircuitChanged(CircuitStateChange change)
    {
        if (change == CircuitStateChange.Opened)
        {
            Interlocked.Increment(ref _openCircuits);
            CircuitOpened.Add(1);
        }
        else
        {
            Interlocked.Decrement(ref _openCircuits);
        }
    }
}

internal enum CircuitStateChange
{
    Opened,
    Closed,
}
