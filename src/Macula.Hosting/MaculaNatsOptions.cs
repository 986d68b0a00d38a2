namespace Macula.Hosting;

/// <summary>
/// The NATS connection of a hosted node, bound from <c>Macula:Nats</c>: one way to authenticate (user and password,
/// token, JWT creds file or NKey seed file) and the TLS files. Mapped onto <c>Macula.Nats.NatsOptions</c>. When the
/// container holds an <c>INatsConnection</c> (NATS.Client.Hosting's <c>AddNats</c>) Macula uses that one instead,
/// unless <see cref="OwnConnection"/> is set.
/// </summary>
public sealed class MaculaNatsOptions
{
    /// <summary>Server URLs, tried in order: <c>nats://</c>, <c>tls://</c>, <c>ws://</c>, <c>wss://</c>. Default <c>nats://127.0.0.1:4222</c>.</summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>The connection name the server shows. Default <c>macula-&lt;node id&gt;</c>.</summary>
    public string? Name { get; set; }

    /// <summary>User name, with <see cref="Password"/>.</summary>
    public string? User { get; set; }

    /// <summary>Password of <see cref="User"/>.</summary>
    public string? Password { get; set; }

    /// <summary>Authentication token.</summary>
    public string? Token { get; set; }

    /// <summary>JWT credentials file (<c>.creds</c>).</summary>
    public string? CredsFile { get; set; }

    /// <summary>File holding an NKey user seed (<c>SU...</c>).</summary>
    public string? NKeySeedFile { get; set; }

    /// <summary>PEM file of the CA certificates to trust for the server.</summary>
    public string? TlsCaFile { get; set; }

    /// <summary>PEM client certificate, with <see cref="TlsKeyFile"/>.</summary>
    public string? TlsCertFile { get; set; }

    /// <summary>PEM private key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>Refuse a server without TLS.</summary>
    public bool TlsRequired { get; set; }

    /// <summary>TLS before any NATS traffic (the server's <c>handshake_first</c>).</summary>
    public bool TlsFirst { get; set; }

    /// <summary>Connect timeout per server. Default 5 s.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>How long an operation made while disconnected waits for the connection. Default 5 s.</summary>
    public TimeSpan? DisconnectedWait { get; set; }

    /// <summary>Coalesced calls (<c>NatsOptions.Coalescing</c>): requests to one provider share messages while others are in flight. Default off.</summary>
    public bool Coalescing { get; set; }

    /// <summary>Open Macula's own connection even when the container holds an <c>INatsConnection</c>.</summary>
    public bool OwnConnection { get; set; }
}
