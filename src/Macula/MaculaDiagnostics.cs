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

    internal static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>("macula.rpc.server.duration", "ms", "Duration of calls dispatched by providers, by service, method and outcome (ok, error, cancelled).");

    /// <summary>The span names Macula starts (the client and server spans are named <c>{Service}/{Method}</c>).</summary>
    internal static class Spans
    {
        /// <summary>One attempt of a client call, a child of the call's span.</summary>
        public const string Attempt = "attempt";
    }

    /// <summary>The tag names on Macula's spans and instruments, in one place.</summary>
    internal static class Tags
    {
        /// <summary>OpenTelemetry's RPC system tag; its value is <see cref="RpcSystemValue"/>.</summary>
        public const string RpcSystem = "rpc.system";

        /// <summary>The value of <see cref="RpcSystem"/>.</summary>
        public const string RpcSystemValue = "macula";

        /// <summary>The service name.</summary>
        public const string RpcService = "rpc.service";

        /// <summary>The method name.</summary>
        public const string RpcMethod = "rpc.method";

        /// <summary>The node id of the provider an attempt went to, or of the node that served a call.</summary>
        public const string NodeId = "macula.node_id";

        /// <summary>The number of an attempt, from 1.</summary>
        public const string Attempt = "macula.attempt";

        /// <summary>The <see cref="MaculaErrorCode"/> a call ended with.</summary>
        public const string ErrorCode = "macula.error_code";

        /// <summary>The status a provider replied with (<c>ok</c> or an error code).</summary>
        public const string Status = "macula.status";

        /// <summary>Set on a server span that serves a stream.</summary>
        public const string Stream = "macula.stream";

        /// <summary>The kind of a refused message: record, withdrawal, reply, announcement.</summary>
        public const string Rejected = "macula.rejected";

        /// <summary>How a provider's dispatched call ended: <c>ok</c>, <c>error</c> or <c>cancelled</c>.</summary>
        public const string Outcome = "macula.outcome";

        /// <summary>The name of an event contract.</summary>
        public const string Contract = "macula.contract";

        /// <summary>The name of one event of a contract.</summary>
        public const string Event = "macula.event";

        /// <summary>The node id of the provider an attempt's selector chose (on the attempt span).</summary>
        public const string ProviderSelected = "macula.provider.selected";

        /// <summary>Why the selector chose it (<see cref="ProviderChoice.Reason"/>: <c>random</c>, <c>round_robin</c>, ...).</summary>
        public const string SelectionReason = "macula.provider.selection_reason";

        /// <summary>
        /// Which candidates the selector chose among: <c>local</c> (this process, <see cref="ClientOptions.PreferLocal"/>),
        /// <c>zone</c> (healthy providers of the preferred zone), <c>any</c> (healthy providers of every zone) or
        /// <c>degraded</c> (no healthy provider was left: any provider not yet tried).
        /// </summary>
        public const string SelectionScope = "macula.provider.selection_scope";

        /// <summary>Set on an attempt dispatched in-process to a provider of the same node (the local fast path).</summary>
        public const string Local = "macula.local";

        /// <summary>Why an event was dropped before a handler saw it.</summary>
        public const string Reason = "macula.reason";

        /// <summary>The node id an event's publisher claims.</summary>
        public const string Publisher = "macula.publisher";
    }

    internal static readonly Counter<long> EventsPublished = Meter.CreateCounter<long>("macula.events.published", "{event}", "Events handed to the transport by publishers, by contract and event.");

    internal static readonly Counter<long> EventsReceived = Meter.CreateCounter<long>("macula.events.received", "{event}", "Events whose subscriber's handler completed, by contract and event.");

    internal static readonly Counter<long> EventHandlerErrors = Meter.CreateCounter<long>("macula.events.handler_errors", "{event}", "Events whose subscriber's handler threw, by contract and event.");

    internal static readonly Counter<long> EventsDropped = Meter.CreateCounter<long>("macula.events.dropped", "{event}", "Events dropped before a handler saw them (bad payload, unknown event, other wire version), by contract and reason.");

    internal static readonly Counter<long> BadMessages = Meter.CreateCounter<long>("macula.bad_messages", "{message}", "Messages a node dropped as malformed (also those whose event was not reported, past 10 a second).");

    internal static readonly Counter<long> ServerShed = Meter.CreateCounter<long>("macula.rpc.server.shed", "{call}", "Calls a provider answered Overloaded (load shedding), by service and node.");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ILoadGauge, byte> Gates = new();

    private static int _openCircuits;

    static MaculaDiagnostics()
    {
        Meter.CreateObservableGauge("macula.rpc.circuit.open", () => Volatile.Read(ref _openCircuits), "{circuit}", "Provider circuits currently open.");
        Meter.CreateObservableGauge("macula.rpc.server.concurrency_limit", () => GateMeasurements(static g => g.Limit), "{call}", "The calls a provider runs at once per service (LoadSheddingOptions.MaxConcurrency), by service and node; and per method where LoadSheddingOptions.MethodLimits sets one (tagged with the method).");
        Meter.CreateObservableGauge("macula.rpc.server.in_flight", () => GateMeasurements(static g => g.Running), "{call}", "Calls a provider is running now, by service and node.");
        Meter.CreateObservableGauge("macula.rpc.server.queued", () => GateMeasurements(static g => g.Queued), "{call}", "Calls waiting for a slot at a provider, by service and node.");
    }

    /// <summary>Lists a provided service's gate in the load-shedding gauges until <see cref="RemoveGate"/>.</summary>
    internal static void AddGate(ILoadGauge gate) => Gates.TryAdd(gate, 0);

    internal static void RemoveGate(ILoadGauge gate) => Gates.TryRemove(gate, out _);

    private static IEnumerable<Measurement<int>> GateMeasurements(Func<ILoadGauge, int> value)
    {
        foreach (var gate in Gates.Keys)
        {
            yield return gate.Method is null
                ? new Measurement<int>(value(gate), new KeyValuePair<string, object?>(Tags.RpcService, gate.Service), new KeyValuePair<string, object?>(Tags.NodeId, gate.NodeId))
                : new Measurement<int>(value(gate), new KeyValuePair<string, object?>(Tags.RpcService, gate.Service), new KeyValuePair<string, object?>(Tags.RpcMethod, gate.Method), new KeyValuePair<string, object?>(Tags.NodeId, gate.NodeId));
        }
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

/// <summary>What the load-shedding gauges read of one provided service (its gate).</summary>
internal interface ILoadGauge
{
    string Service { get; }

    string NodeId { get; }

    /// <summary>The method of a per-method limit, or <see langword="null"/> for the service's.</summary>
    string? Method { get; }

    int Limit { get; }

    int Running { get; }

    int Queued { get; }
}
