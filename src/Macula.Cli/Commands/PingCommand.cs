using System.CommandLine;
using Spectre.Console;

namespace Macula.Cli.Commands;

/// <summary><c>macula ping &lt;node&gt;</c>: asks one node to describe itself and measures the round trip.</summary>
internal static class PingCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var nodeId = new Argument<string>("node") { Description = "The node id (see 'macula providers' or 'macula dht stats')" };
        var command = new Command("ping", "Ping a node: round trip, services, metadata, uptime");
        command.Arguments.Add(nodeId);
        MaculaCli.SetAction(command, options, console, (parse, settings, cancellationToken) =>
            MaculaCli.WithNodeAsync(settings, cancellationToken, node => RunAsync(node, parse.GetValue(nodeId)!, settings, console, cancellationToken)));
        return command;
    }

    private static async Task RunAsync(MaculaNode node, string nodeId, GlobalSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        MaculaNodeInfo info;
        try
        {
            info = await node.PingAsync(nodeId, settings.Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.NoResponders)
        {
            throw CliFailure.Failed($"no node '{nodeId}' in realm '{settings.Realm}' (nothing answers on its subject).", ex);
        }
        catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.Timeout)
        {
            throw CliFailure.Failed($"node '{nodeId}' did not answer within {Format.Duration(settings.Timeout)}.", ex);
        }
        catch (ArgumentException ex)
        {
            throw CliFailure.Usage($"'{nodeId}' is not a node id: {ex.Message}");
        }

        var uptime = DateTimeOffset.UtcNow - info.StartedAt;
        if (settings.Json)
        {
            console.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("node_id", info.NodeId);
                json.WriteString("realm", info.Realm);
                json.WriteNumber("rtt_ms", Format.RoundTripMs(info.RoundTrip));
                Format.WriteStrings(json, "services", info.Services);
                Format.WriteMetadata(json, "metadata", info.Metadata);
                json.WriteString("started_at", Format.Time(info.StartedAt));
                json.WriteNumber("uptime_seconds", Format.Seconds(uptime));
                json.WriteStartObject("dht");
                json.WriteNumber("contacts", info.Dht.RoutingTableContacts);
                json.WriteNumber("keys", info.Dht.StoredKeys);
                json.WriteNumber("records", info.Dht.StoredRecords);
                json.WriteNumber("lookups", info.Dht.Lookups);
                json.WriteEndObject();
                json.WriteEndObject();
            });
            return;
        }

        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Node[/]", Format.Escape(info.NodeId));
        grid.AddRow("Realm", Format.Escape(info.Realm));
        grid.AddRow("Round trip", Format.Milliseconds(info.RoundTrip));
        grid.AddRow("Services", info.Services.Count == 0 ? "-" : Format.Escape(string.Join(", ", info.Services)));
        grid.AddRow("Metadata", Format.Escape(Format.Metadata(info.Metadata)));
        grid.AddRow("Started", Format.Time(info.StartedAt));
        grid.AddRow("Uptime", Format.Duration(uptime));
        grid.AddRow("DHT", $"{Format.Count(info.Dht.RoutingTableContacts, "contact")}, {Format.Count(info.Dht.StoredKeys, "key")}, {Format.Count(info.Dht.StoredRecords, "record")}, {Format.Count((int)Math.Min(info.Dht.Lookups, int.MaxValue), "lookup")}");
        console.Ansi.Write(grid);
    }
}
