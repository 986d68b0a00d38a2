using Macula.Rpc;

namespace Macula;

/// <summary>One node's answer to a stats request: who it is, what it serves and how that went, what it sees of the providers it calls.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Realm">Its realm.</param>
/// <param name="Version">Its <c>version</c> metadata entry, or null.</param>
/// <param name="Zone">Its <c>zone</c> metadata entry, or null (Macula reports zones, it does not route by them).</param>
/// <param name="MaculaVersion">The version of the Macula runtime it runs.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Uptime">How long it had been running when it answered.</param>
/// <param name="Window">The span its windowed figures cover: the window asked for, or its uptime when shorter.</param>
/// <param name="Metadata">Its metadata.</param>
/// <param name="Services">The services it provides, with its own server-side figures for each.</param>
/// <param name="Providers">Its client side's view of every provider it has called: latency, in-flight calls, failures, circuit.</param>
/// <param name="Dht">Its DHT figures.</param>
/// <param name="RoundTrip">How long its answer took, as measured by the asking node.</param>
public sealed record MaculaNodeStats(
    string NodeId,
    string Realm,
    string? Version,
    string? Zone,
    string MaculaVersion,
    DateTimeOffset StartedAt,
    TimeSpan Uptime,
    TimeSpan Window,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<MaculaServiceStats> Services,
    IReadOnlyList<ProviderHealthSnapshot> Providers,
    MaculaDhtStats Dht,
    TimeSpan RoundTrip);
