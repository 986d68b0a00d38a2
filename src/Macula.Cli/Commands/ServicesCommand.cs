using System.CommandLine;
using Spectre.Console;

namespace Macula.Cli.Commands;

/// <summary>
/// <c>macula services</c>: the DHT stores providers under a hash of the service name, so names cannot be listed
/// from it. Every node names the services it provides when asked (<see cref="MaculaNode.ListNodesAsync"/>); each
/// name is then looked up in the DHT, which counts its advertised providers, answering or not.
/// </summary>
internal static class ServicesCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var command = new Command("services", "List the services provided in the realm, with how many providers each");
        MaculaCli.SetAction(command, options, console, (_, settings, cancellationToken) =>
            MaculaCli.WithNodeAsync(settings, cancellationToken, node => RunAsync(node, settings, console, cancellationToken)));
        return command;
    }

    private static async Task RunAsync(MaculaNode node, GlobalSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        var everyone = await node.ListNodesAsync(settings.Window, cancellationToken).ConfigureAwait(false);
        var nodes = everyone.Where(n => n.NodeId != node.NodeId).ToList();
        var answering = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var info in nodes)
        {
            foreach (string service in info.Services.Distinct(StringComparer.Ordinal))
            {
                answering[service] = answering.GetValueOrDefault(service) + 1;
            }
        }

        var names = answering.Keys.ToArray();
        var lookups = names.Select(name => node.FindProvidersAsync(name, cancellationToken)).ToArray();
        var providers = await Task.WhenAll(lookups).ConfigureAwait(false);

        if (settings.Json)
        {
            console.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("realm", settings.Realm);
                json.WriteNumber("nodes_answered", nodes.Count);
                json.WriteStartArray("services");
                for (int i = 0; i < names.Length; i++)
                {
                    json.WriteStartObject();
                    json.WriteString("name", names[i]);
                    json.WriteNumber("providers", providers[i].Count);
                    json.WriteNumber("nodes", answering[names[i]]);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
            return;
        }

        if (names.Length == 0)
        {
            console.Ansi.MarkupLine($"No services in realm '{Format.Escape(settings.Realm)}' ({Format.Count(nodes.Count, "node")} answered within {Format.Duration(settings.Window)}).");
            return;
        }

        var table = Format.Table("Service", "Providers (DHT)", "Nodes answering");
        for (int i = 0; i < names.Length; i++)
        {
            table.AddRow(Format.Escape(names[i]), providers[i].Count.ToString(System.Globalization.CultureInfo.InvariantCulture), answering[names[i]].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        console.Ansi.Write(table);
        console.Ansi.MarkupLine($"[dim]realm '{Format.Escape(settings.Realm)}': {Format.Count(nodes.Count, "node")} answered within {Format.Duration(settings.Window)}[/]");
    }
}
