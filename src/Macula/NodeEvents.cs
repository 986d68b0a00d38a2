using Macula.Security;

namespace Macula;

/// <summary>A node's event sink: turns what the parts report into <see cref="MaculaEvent"/>s for <see cref="MaculaNodeOptions.OnEvent"/>.</summary>
internal sealed class NodeEvents(string nodeId, Action<MaculaEvent>? onEvent, TimeProvider time) : IMaculaEventSink
{
    private readonly LogThrottle _rejections = new(perSecond: 10);
    private readonly LogThrottle _badMessages = new(perSecond: 10);

    public void Started(string realm) =>
        Raise(new MaculaEvent(MaculaEventKind.Started, $"Node {nodeId} started in realm '{realm}'.") { NodeId = nodeId, Realm = realm });

    public void Stopped() => Raise(new MaculaEvent(MaculaEventKind.Stopped, $"Node {nodeId} stopped.") { NodeId = nodeId });

    public void Advertised(string service) =>
        Raise(new MaculaEvent(MaculaEventKind.Advertised, $"Node {nodeId} advertised '{service}'.") { NodeId = nodeId, Service = service });

    public void Withdrawn(string service) =>
        Raise(new MaculaEvent(MaculaEventKind.Withdrawn, $"Node {nodeId} withdrew '{service}'.") { NodeId = nodeId, Service = service });

    public void Failover(string service, string method, string nodeId, int attempt, MaculaErrorCode code, string cause) =>
        Raise(new MaculaEvent(MaculaEventKind.Failover, $"{service}.{method} failed on {nodeId} ({cause}); failing over.")
        {
            Service = service,
            Method = method,
            NodeId = nodeId,
            Attempt = attempt,
            ErrorCode = code,
            Reason = cause,
        });

    public void CircuitChanged(string service, string nodeId, CircuitState state) =>
        Raise(new MaculaEvent(MaculaEventKind.CircuitChanged, $"The circuit of {service} on {nodeId} is now {state}.") { Service = service, NodeId = nodeId, Circuit = state });

    public void Rejected(string kind, string reason)
    {
        MaculaDiagnostics.Rejections.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Rejected, kind));
        if (_rejections.TryTake(time.GetUtcNow()))
        {
            Raise(new MaculaEvent(MaculaEventKind.BadMessage, "Refused " + reason) { Reason = reason });
        }
    }

    /// <summary>
    /// Reports a dropped message: at most 10 a second (a peer decides how many it sends), each quoting at most
    /// <see cref="Validation.MaxQuotedLength"/> characters of what it read from the wire per part (the reason holds
    /// the wire's names); the first let through after a pause says how many were suppressed. Every one is counted in
    /// <c>macula.bad_messages</c>.
    /// </summary>
    public void BadMessage(string subject, string what)
    {
        MaculaDiagnostics.BadMessages.Add(1);
        if (_badMessages.TryTake(time.GetUtcNow(), out long suppressed))
        {
            // The reason may quote a method name or an exception message from the wire: up to 2 quotes' worth.
            subject = LogThrottle.Quote(subject, Validation.MaxQuotedLength);
            what = LogThrottle.Quote(what, 2 * Validation.MaxQuotedLength);
            Raise(new MaculaEvent(MaculaEventKind.BadMessage, $"Dropped a bad message on '{subject}': {what}.{Suppressed(suppressed)}") { Subject = subject, Reason = what, Suppressed = suppressed });
        }
    }

    public void DhtBadMessage(string what)
    {
        MaculaDiagnostics.BadMessages.Add(1);
        if (_badMessages.TryTake(time.GetUtcNow(), out long suppressed))
        {
            what = LogThrottle.Quote(what, 2 * Validation.MaxQuotedLength);
            Raise(new MaculaEvent(MaculaEventKind.BadMessage, $"DHT: {what}{Suppressed(suppressed)}") { Reason = what, Suppressed = suppressed });
        }
    }

    private static string Suppressed(long suppressed) => suppressed == 0 ? string.Empty : $" ({suppressed} more bad messages were not reported since the last one)";

    public void BackgroundError(string doing, Exception exception) =>
        Raise(new MaculaEvent(MaculaEventKind.Error, $"Error while {doing}: {exception.Message}", exception) { Reason = doing });

    private void Raise(MaculaEvent e)
    {
        if (onEvent is null)
        {
            return;
        }

        try
        {
            onEvent(e);
        }
        catch (Exception)
        {
            // A faulty event sink must not break the node.
        }
    }
}
