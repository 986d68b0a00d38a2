namespace Macula;

/// <summary>What a node says about itself when asked (<see cref="MaculaNode.PingAsync"/>, <see cref="MaculaNode.ListNodesAsync"/>).</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Realm">Its realm.</param>
/// <param name="Services">The services it provides.</param>
/// <param name="Metadata">Its metadata.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Dht">Its DHT figures (contacts, stored keys and records, lookups).</param>
/// <param name="RoundTrip">How long the answer took, as measured by the asking node.</param>
public sealed record MaculaNodeInfo(string NodeId, string Realm, IReadOnlyList<string> Services, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset StartedAt, MaculaDhtStats Dht, TimeSpan RoundTrip);
