using System.Globalization;
using Macula.Rpc;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Macula.Cli.Commands;

/// <summary>
/// The figures of <c>macula stats</c> and <c>macula watch</c> as Spectre.Console tables: the same ones the dashboard
/// shows (services, providers with their health as their callers see it, nodes and DHT), from <see cref="MaculaNode.GetMeshStatsAsync"/>.
/// </summary>
internal static class StatsView
{
    public static IRenderable Build(MaculaMeshStats stats, string self)
    {
        var services = Format.Table("Service", "Providers", "Calls/s", "Error rate", "p50", "p99");
        foreach (var s in stats.Services)
        {
            services.AddRow(Format.Escape(s.Service), Number(s.NodeIds.Count), Rate(s.CallsPerSecond), Percent(s.ErrorRate), Ms(s.P50Ms), Ms(s.P99Ms));
        }

        var providers = Format.Table("Service", "Node", "Version", "Zone", "Age", "Circuit", "Calls/s", "Error rate", "p50", "p99");
        foreach (var node in stats.Nodes)
        {
            foreach (var s in node.Services)
            {
                providers.AddRow(
                    Format.Escape(s.Service), Format.Escape(node.NodeId), Format.Escape(node.Version ?? "-"), Format.Escape(node.Zone ?? "-"),
                    Format.Duration(node.Uptime), Circuit(stats.Nodes, s.Service, node.NodeId), Rate(s.CallsPerSecond), Percent(s.ErrorRate), Ms(s.P50Ms), Ms(s.P99Ms));
            }
        }

        var nodes = Format.Table("Node", "Uptime", "Services", "DHT contacts", "DHT keys", "DHT records");
        foreach (var node in stats.Nodes)
        {
            nodes.AddRow(
                Format.Escape(node.NodeId + (node.NodeId == self ? " (this tool)" : "")), Format.Duration(node.Uptime),
                Format.Escape(node.Services.Count == 0 ? "-" : string.Join(", ", node.Services.Select(s => s.Service))),
                Number(node.Dht.RoutingTableContacts), Number(node.Dht.StoredKeys), Number(node.Dht.StoredRecords));
        }

        int records = stats.Nodes.Sum(n => n.Dht.StoredRecords);
        return new Rows(
            new Markup($"[bold]Realm '{Format.Escape(stats.Realm)}'[/]: {Format.Count(stats.Nodes.Count, "node")} answered, figures over the last {Format.Duration(stats.Window)}, DHT {Format.Count(stats.Nodes.Count, "node")} and {Format.Count(records, "record")}"),
            services.Title("Services"),
            providers.Title("Providers"),
            nodes.Title("Nodes"));
    }

    /// <summary>What the callers of a provider see of its circuit: the worst state any of them has, or "-" when none has called it.</summary>
    private static string Circuit(IReadOnlyList<MaculaNodeStats> nodes, string service, string nodeId)
    {
        CircuitState? worst = null;
        foreach (var node in nodes)
        {
            foreach (var p in node.Providers)
            {
                if (p.Service == service && p.NodeId == nodeId && (worst is null || p.Circuit > worst))
                {
                    worst = p.Circuit;
                }
            }
        }

        return worst switch
        {
            null => "-",
            CircuitState.Closed => "closed",
            CircuitState.Open => "[red]open[/]",
            _ => "[yellow]half-open[/]",
        };
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Rate(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Percent(double value) => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Ms(double? value) => value is null ? "-" : value.Value.ToString("0.00", CultureInfo.InvariantCulture) + " ms";
}
