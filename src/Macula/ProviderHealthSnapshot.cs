namespace Macula;

/// <summary>A read-only view of one provider's health, as this node sees it.</summary>
/// <param name="Service">The service name.</param>
/// <param name="NodeId">The provider's node id.</param>
/// <param name="LatencyEwmaMs">Exponentially weighted moving average of successful call latency, in milliseconds (0 before the first call).</param>
/// <param name="InFlight">Calls in flight to this provider.</param>
/// <param name="ConsecutiveFailures">Infrastructure failures since the last success.</param>
/// <param name="Circuit">The circuit breaker's state.</param>
/// <param name="LastError">The last infrastructure failure, if any.</param>
public sealed record ProviderHealthSnapshot(string Service, string NodeId, double LatencyEwmaMs, int InFlight, int ConsecutiveFailures, CircuitState Circuit, string? LastError);
