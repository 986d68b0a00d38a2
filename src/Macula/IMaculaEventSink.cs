namespace Macula;

/// <summary>
/// What the parts of a node report, in named fields: the one narrow way up from the parts to the node's
/// <see cref="MaculaNodeOptions.OnEvent"/> (and, under Macula.Hosting, its logger). <see cref="NodeEvents"/> is the node's.
/// </summary>
internal interface IMaculaEventSink
{
    /// <summary>This node advertised (or re-advertised) <paramref name="service"/>.</summary>
    void Advertised(string service);

    /// <summary>This node withdrew <paramref name="service"/>.</summary>
    void Withdrawn(string service);

    /// <summary>Attempt <paramref name="attempt"/> of a call failed on <paramref name="nodeId"/> and the call moves on.</summary>
    void Failover(string service, string method, string nodeId, int attempt, MaculaErrorCode code, string cause);

    /// <summary>The circuit of <paramref name="service"/> on <paramref name="nodeId"/> is now <paramref name="state"/>.</summary>
    void CircuitChanged(string service, string nodeId, CircuitState state);

    /// <summary>A signed message of kind <paramref name="kind"/> was refused (counted; logged at most ten times a second).</summary>
    void Rejected(string kind, string reason);

    /// <summary>A message on <paramref name="subject"/> was dropped because <paramref name="what"/>.</summary>
    void BadMessage(string subject, string what);

    /// <summary>The DHT dropped a message (<paramref name="what"/> names it and why).</summary>
    void DhtBadMessage(string what);

    /// <summary>A background task failed while <paramref name="doing"/>.</summary>
    void BackgroundError(string doing, Exception exception);
}
