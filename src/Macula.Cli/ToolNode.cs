using Macula.Nats;
using Macula.Transport;

namespace Macula.Cli;

/// <summary>
/// The tool's own member of the mesh: a <see cref="MaculaNode"/> with a random id over NATS that provides nothing.
/// It joins the realm's DHT like any node, so lookups and statistics are what a real client would see.
/// </summary>
internal static class ToolNode
{
    /// <summary>An option error in the tool's words: <c>--creds</c>, not <c>NatsOptions.CredsFile</c>.</summary>
    private static string CliName(string message)
    {
        foreach (var (option, flag) in new[]
        {
            ("NatsOptions.Servers", "--nats"), ("NatsOptions.CredsFile", "--creds"), ("NatsOptions.NKeySeedFile", "--nkey"),
            ("NatsOptions.User", "--user"), ("NatsOptions.Password", "--password"), ("NatsOptions.Token", "--token"),
            ("NatsOptions.TlsCaFile", "--tls-ca"), ("NatsOptions.TlsCertFile", "--tls-cert"), ("NatsOptions.TlsKeyFile", "--tls-key"),
            ("NatsOptions.ConnectTimeout", "--timeout"), ("NatsOptions.RequestTimeout", "--timeout"), ("NatsOptions.DisconnectedWait", "--timeout"),
        })
        {
            message = message.Replace(option, flag, StringComparison.Ordinal);
        }

        int parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter > 0 ? message[..parameter] : message;
    }

    /// <summary>The transport's reason without its own "Could not connect to NATS at ...:" lead, which the tool's line already says.</summary>
    private static string Reason(string message)
    {
        const string Lead = "Could not connect to NATS at ";
        if (message.StartsWith(Lead, StringComparison.Ordinal))
        {
            int colon = message.IndexOf(": ", Lead.Length, StringComparison.Ordinal);
            if (colon > 0)
            {
                return message[(colon + 2)..];
            }
        }

        return message;
    }

    public static async Task<MaculaNode> StartAsync(GlobalSettings settings, CancellationToken cancellationToken)
    {
        NatsTransport transport;
        try
        {
            transport = new NatsTransport(settings.Credentials with
            {
                Name = "macula-cli",
                ConnectTimeout = settings.Timeout,
                RequestTimeout = settings.Timeout,
                DisconnectedWait = settings.Timeout,
            });
        }
        catch (ArgumentException ex)
        {
            throw CliFailure.Usage(CliName(ex.Message));
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
            throw CliFailure.Failed($"cannot connect to NATS at {string.Join(", ", settings.Servers)}: {Reason(ex.Message)}", ex);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
