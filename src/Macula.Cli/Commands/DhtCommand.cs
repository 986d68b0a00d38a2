using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula dht stats</c>: the tool's own view of the DHT right after it joined (routing table, what it stores,
/// what joining cost), and the figures every node of the realm reports about itself.
/// </summary>
internal static class DhtCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var stats = new Command("stats", "Show the DHT as this tool sees it after joining, and every node's DHT figures");
        MaculaCli.SetAction(stats, options, console, (_, settings, cancellationToken) =>
            MaculaCli.WithNodeAsync(settings, cancellationToken, node => RunAsync(node, settings, console, cancellationToken)));
        var dht = new Command("dht", "Look into the Kademlia DHT that holds the service registry");
        dht.Subcommands.Add(stats);
        return dht;
    }

    private static async Task RunAsync(MaculaNode node, GlobalSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        var nodes = await node.ListNodesAsync(settings.Window, cancellationToken).ConfigureAwait(false);
        // Read after the window, so the figures include what the tool learnt from the nodes that answered.
        var self = node.GetDhtStats();

        if (settings.Json)
        {
            console.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("realm", settings.Realm);
                json.WriteStartObject("self");
                json.WriteString("node_id", node.NodeId);
                json.WriteNumber("contacts", self.RoutingTableContacts);
                json.WriteNumber("keys", self.StoredKeys);
                json.WriteNumber("records", self.StoredRecords);
                json.WriteNumber("lookups", self.Lookups);
                json.WriteNumber("requests_sent", self.RequestsSent);
                json.WriteNumber("requests_received", self.RequestsReceived);
                json.WriteNumber("messages_dropped", self.MessagesDropped);
                json.WriteEndObject();
                json.WriteStartArray("nodes");
                foreach (var info in nodes)
                {
                    json.WriteStartObject();
                    json.WriteString("node_id", info.NodeId);
                    json.WriteBoolean("this_tool", info.NodeId == node.NodeId);
                    Format.WriteStrings(json, "services", info.Services);
                    json.WriteNumber("contacts", info.Dht.RoutingTableContacts);
                    json.WriteNumber("keys", info.Dht.StoredKeys);
                    json.WriteNumber("records", info.Dht.StoredRecords);
                    json.WriteNumber("lookups", info.Dht.Lookups);
                    json.WriteNumber("rtt_ms", Format.RoundTripMs(info.RoundTrip));
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
            return;
        }

        var mine = new Grid().AddColumn().AddColumn();
        mine.AddRow("[bold]This tool's node[/]", Format.Escape(node.NodeId));
        mine.AddRow("Routing-table contacts", Number(self.RoutingTableContacts));
        mine.AddRow("Stored keys / records", $"{Number(self.StoredKeys)} / {Number(self.StoredRecords)}");
        mine.AddRow("Lookups", Number(self.Lookups));
        mine.AddRow("Requests sent / received", $"{Number(self.RequestsSent)} / {Number(self.RequestsReceived)}");
        mine.AddRow("Messages dropped", Number(self.MessagesDropped));
        console.Ansi.Write(mine);
        console.Ansi.WriteLine();

        var table = Format.Table("Node", "Services", "Contacts", "Keys", "Records", "Lookups");
        foreach (var info in nodes)
        {
            string id = Format.Escape(info.NodeId) + (info.NodeId == node.NodeId ? " [dim](this tool)[/]" : string.Empty);
            table.AddRow(
                id,
                info.Services.Count == 0 ? "-" : Format.Escape(string.Join(", ", info.Services)),
                Number(info.Dht.RoutingTableContacts),
                Number(info.Dht.StoredKeys),
                Number(info.Dht.StoredRecords),
                Number(info.Dht.Lookups));
        }

        console.Ansi.Write(table);
        console.Ansi.MarkupLine($"[dim]realm '{Format.Escape(settings.Realm)}': {Format.Count(nodes.Count, "node")} answered within {Format.Duration(settings.Window)}[/]");
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
