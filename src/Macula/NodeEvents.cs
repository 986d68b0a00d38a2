using Macula.Security;

namespace Macula;

/// <summary>A node's event sink: turns what the parts report into <see cref="MaculaEvent"/>s for <see cref="MaculaNodeOptions.OnEvent"/>.</summary>
internal sealed class NodeEvents(string nodeId, Action<MaculaEvent>? onEvent, TimeProvider time) : IMaculaEventSink
{
    private readonly LogThrottle _rejections = new(perSecond: 10);

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

    public void BadMessage(string subject, string what) =>
        Raise(new MaculaEvent(MaculaEventKind.BadMessage, $"Dropped a bad message on '{subject}': {what}.") { Subject = subject, Reason = what });

    public void DhtBadMessage(string what) => Raise(new MaculaEvent(MaculaEventKind.BadMessage, "DHT: " + what) { Reason = what });

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
