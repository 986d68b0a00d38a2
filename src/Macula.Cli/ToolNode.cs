using Macula.Nats;
using Macula.Transport;

namespace Macula.Cli;

/// <summary>
/// The tool's own member of the mesh: a <see cref="MaculaNode"/> with a random id over NATS that provides nothing.
/// It joins the realm's DHT like any node, so lookups and statistics are what a real client would see.
/// </summary>
internal static class ToolNode
{
    public static async Task<MaculaNode> StartAsync(GlobalSettings settings, CancellationToken cancellationToken)
    {
        NatsTransport transport;
        try
        {
            transport = new NatsTransport(NatsOptions.Default with
            {
                Servers = settings.Servers,
                Name = "macula-cli",
                ConnectTimeout = settings.Timeout,
                RequestTimeout = settings.Timeout,
            });
        }
        catch (ArgumentException ex)
        {
            throw CliFailure.Usage("--nats: " + ex.Message);
        }

        try
        {
            return await MaculaNode.StartAsync(new MaculaNodeOptions
            {
                Transport = transport,
                Realm = settings.Realm,
                Metadata = new Dictionary<string, string> { ["role"] = "macula-cli" },
                // A short-lived tool only asks: it must not sit in routing tables after it exits (docs/dht.md#client-mode).
                Dht = DhtOptions.Default with { Mode = DhtMode.Client },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MaculaTransportException or TimeoutException or IOException)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw CliFailure.Failed($"cannot connect to NATS at {string.Join(", ", settings.Servers)}: {ex.Message}", ex);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
