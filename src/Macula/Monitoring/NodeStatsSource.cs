using Macula.Rpc;

namespace Macula.Monitoring;

/// <summary>
/// What a node's stats reply and its <c>$SRV</c> answers are made from, handed in by the node as narrow pieces (ids,
/// clock, the recorder, and three readers), so the responders never see the node itself.
/// </summary>
internal sealed class NodeStatsSource
{
    private readonly Func<IReadOnlyList<ProvidedService>> _services;
    private readonly Func<IReadOnlyList<ProviderHealthSnapshot>> _health;
    private readonly Func<MaculaDhtStats> _dht;

    public NodeStatsSource(
        string nodeId, string realm, IReadOnlyDictionary<string, string> metadata, DateTimeOffset startedAt, TimeProvider time, ServerStats server,
        Func<IReadOnlyList<ProvidedService>> services, Func<IReadOnlyList<ProviderHealthSnapshot>> health, Func<MaculaDhtStats> dht)
    {
        NodeId = nodeId;
        Realm = realm;
        Metadata = metadata;
        StartedAt = startedAt;
        Time = time;
        Server = server;
        _services = services;
        _health = health;
        _dht = dht;
    }

    public string NodeId { get; }

    public string Realm { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public DateTimeOffset StartedAt { get; }

    public TimeProvider Time { get; }

    public ServerStats Server { get; }

    /// <summary>The node's version: its <c>version</c> metadata entry, if any.</summary>
    public string? Version => Metadata.GetValueOrDefault("version");

    /// <summary>The node's zone: <see cref="MaculaNodeOptions.Zone"/>, else its <c>zone</c> metadata entry, if any.</summary>
    public string? Zone => NodeZone ?? Metadata.GetValueOrDefault("zone");

    /// <summary>The node's <see cref="MaculaNodeOptions.Zone"/> (the one clients route by).</summary>
    public string? NodeZone { get; init; }

    public static string MaculaVersion { get; } = typeof(NodeStatsSource).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public IReadOnlyList<ProvidedService> Services() => _services();

    /// <summary>Everything the stats reply holds, over the last <paramref name="windowSeconds"/> seconds (1 to 60).</summary>
    public NodeStatsReport Collect(int windowSeconds)
    {
        windowSeconds = Math.Clamp(windowSeconds, 1, MethodStatsWindow.Seconds);
        var now = Time.GetUtcNow();
        var uptime = now - StartedAt;
        if (uptime < TimeSpan.Zero)
        {
            uptime = TimeSpan.Zero;
        }

        var window = TimeSpan.FromSeconds(windowSeconds);
        var services = new List<ServiceReport>();
        foreach (var service in _services())
        {
            var methods = new List<MethodWindowSnapshot>(service.Methods.Count);
            foreach (var method in service.Methods)
            {
                methods.Add(Server.Snapshot(service.Name, method.Name, windowSeconds));
            }

            services.Add(new ServiceReport(service.Name, service.Subject, methods));
        }

        return new NodeStatsReport(
            NodeId, Realm, Version, Zone, MaculaVersion, StartedAt, uptime, uptime < window ? uptime : window, Metadata, services, _health(), _dht());
    }
}

/// <summary>A service this node provides: its name, the subject its calls go to, its methods.</summary>
internal sealed record ProvidedService(string Name, string Subject, IReadOnlyList<MethodDescriptor> Methods);

/// <summary>A node's stats reply, decoded (docs/wire-protocol.md, "Stats").</summary>
internal sealed record NodeStatsReport(
    string NodeId, string Realm, string? Version, string? Zone, string MaculaVersion, DateTimeOffset StartedAt, TimeSpan Uptime, TimeSpan Window,
    IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<ServiceReport> Services, IReadOnlyList<ProviderHealthSnapshot> Providers, MaculaDhtStats Dht);

/// <summary>One provided service in a stats reply.</summary>
internal sealed record ServiceReport(string Name, string Subject, IReadOnlyList<MethodWindowSnapshot> Methods);
