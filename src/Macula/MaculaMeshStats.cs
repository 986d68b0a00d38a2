namespace Macula;

/// <summary>
/// What the nodes of a realm said about themselves when asked for stats (<see cref="MaculaNode.GetMeshStatsAsync"/>):
/// each node's own figures, and every service's figures summed over the nodes that provide it.
/// </summary>
/// <param name="Realm">The realm asked.</param>
/// <param name="CollectedAt">When the asking node sent the request.</param>
/// <param name="Window">The span the figures were asked to cover (a node younger than that covers its uptime).</param>
/// <param name="Nodes">Every node that answered, ordered by node id.</param>
/// <param name="Services">Every provided service, ordered by name, with its calls, errors and latency over all its providers.</param>
public sealed record MaculaMeshStats(string Realm, DateTimeOffset CollectedAt, TimeSpan Window, IReadOnlyList<MaculaNodeStats> Nodes, IReadOnlyList<MaculaServiceStats> Services);
