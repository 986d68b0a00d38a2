using System.CommandLine;
using Spectre.Console;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula providers &lt;service&gt;</c>: the provider records the DHT holds for a service, and whether each
/// provider's node answers a ping from here.
/// </summary>
internal static class ProvidersCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var service = new Argument<string>("service") { Description = "The service name, as advertised (e.g. Calculator)" };
        var command = new Command("providers", "List the providers of a service from the DHT, with their health as seen from here");
        command.Arguments.Add(service);
        MaculaCli.SetAction(command, options, console, (parse, settings, cancellationToken) =>
            MaculaCli.WithNodeAsync(settings, cancellationToken, node => RunAsync(node, parse.GetValue(service)!, settings, console, cancellationToken)));
        return command;
    }

    private static async Task RunAsync(MaculaNode node, string service, GlobalSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        var records = (await node.FindProvidersAsync(service, cancellationToken).ConfigureAwait(false))
            .OrderBy(r => r.NodeId, StringComparer.Ordinal)
            .ToArray();
        if (records.Length == 0)
        {
            throw CliFailure.Failed($"no provider of '{service}' in realm '{settings.Realm}': the service is unknown, or every provider has gone.");
        }

        var health = await Task.WhenAll(records.Select(r => ProbeAsync(node, r.NodeId, settings.Timeout, cancellationToken))).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;

        if (settings.Json)
        {
            console.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("service", service);
                json.WriteString("realm", settings.Realm);
                json.WriteStartArray("providers");
                for (int i = 0; i < records.Length; i++)
                {
                    var r = records[i];
                    json.WriteStartObject();
                    json.WriteString("node_id", r.NodeId);
                    json.WriteString("subject", r.Subject);
                    Format.WriteMetadata(json, "metadata", r.Metadata);
                    Format.WriteNullableString(json, "version", r.Version);
                    Format.WriteNullableString(json, "zone", r.Zone);
                    Format.WriteMetadata(json, "tags", r.Tags);
                    json.WriteString("advertised_at", Format.Time(r.AdvertisedAt));
                    json.WriteNumber("age_seconds", Format.Seconds(now - r.AdvertisedAt));
                    json.WriteNumber("ttl_seconds", Format.Seconds(r.Ttl));
                    json.WriteNumber("ttl_left_seconds", Format.Seconds(r.ExpiresAt - now));
                    json.WriteBoolean("reachable", health[i].RoundTrip is not null);
                    if (health[i].RoundTrip is { } rtt)
                    {
                        json.WriteNumber("rtt_ms", Format.RoundTripMs(rtt));
                    }
                    else
                    {
                        json.WriteNull("rtt_ms");
                        json.WriteString("error", health[i].Error);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
            return;
        }

        var table = Format.Table("Node", "Subject", "Metadata", "Age", "TTL left", "Health", "Version", "Zone", "Tags");
        for (int i = 0; i < records.Length; i++)
        {
            var r = records[i];
            var left = r.ExpiresAt - now;
            string healthCell = health[i].RoundTrip is { } rtt
                ? $"[green]{Format.Milliseconds(rtt)}[/]"
                : "[red]unreachable[/]";
            table.AddRow(
                Format.Escape(r.NodeId),
                Format.Escape(r.Subject),
                Format.Escape(Format.Metadata(r.Metadata, skipReserved: true)),
                Format.Duration(now - r.AdvertisedAt),
                left > TimeSpan.Zero ? Format.Duration(left) : "[yellow]expired[/]",
                healthCell,
                Format.Escape(r.Version ?? "-"),
                Format.Escape(r.Zone ?? "-"),
                Format.Escape(Format.Metadata(r.Tags)));
        }

        console.Ansi.Write(table);
        console.Ansi.MarkupLine($"[dim]{Format.Count(records.Length, "provider")} of '{Format.Escape(service)}' in realm '{Format.Escape(settings.Realm)}'[/]");
    }

    private static async Task<(TimeSpan? RoundTrip, string? Error)> ProbeAsync(MaculaNode node, string nodeId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var info = await node.PingAsync(nodeId, timeout, cancellationToken).ConfigureAwait(false);
            return (info.RoundTrip, null);
        }
        catch (MaculaRpcException ex)
        {
            return (null, CliConsole.OneLine(ex.Message));
        }
    }
}
