using Macula.Nats.Internal;

namespace Macula.Nats;

/// <summary>Settings of a <see cref="NatsTransport"/>. Validated once, when the transport is created.</summary>
public sealed record NatsOptions
{
    /// <summary>A local server on the default port, with the defaults below.</summary>
    public static NatsOptions Default { get; } = new();

    /// <summary>
    /// The servers to connect to, tried in order: <c>nats://host:port</c>, <c>tls://host:port</c> (TLS required) or
    /// <c>host:port</c>; credentials may be given in the URL (<c>nats://user:pass@host:port</c>,
    /// <c>nats://token@host:port</c>). Servers a cluster announces are added while connected.
    /// </summary>
    public IReadOnlyList<string> Servers { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>The connection name the server shows in its monitoring.</summary>
    public string? Name { get; init; }

    /// <summary>The user name, with <see cref="Password"/>.</summary>
    public string? User { get; init; }

    /// <summary>The password of <see cref="User"/>.</summary>
    public string? Password { get; init; }

    /// <summary>An authentication token (instead of a user and password).</summary>
    public string? Token { get; init; }

    /// <summary>Refuse a server that does not offer TLS. TLS is used anyway whenever the server requires it.</summary>
    public bool TlsRequired { get; init; }

    /// <summary>
    /// A PEM (or DER) file of the CA certificates to trust for the server's certificate, instead of the system's trust
    /// store. The server's certificate must still name the host dialled.
    /// </summary>
    public string? TlsCaFile { get; init; }

    /// <summary>How long one attempt to connect to one server may take, TCP, TLS and the NATS handshake together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the client PINGs the server to detect a connection that died without being closed.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>PINGs left unanswered before the connection is declared stale and dropped.</summary>
    public int MaxPingsOut { get; init; } = 2;

    /// <summary>The first wait between two passes over the server list when reconnecting; it doubles each pass.</summary>
    public TimeSpan ReconnectWait { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between two reconnect passes. Each wait is jittered down to half of its value.</summary>
    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed attempts in a row after which a server is no longer tried; -1 tries forever.</summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    /// <summary>
    /// Bytes of publishes (and requests) kept while disconnected and sent after reconnecting; beyond it a publish
    /// fails with <see cref="Macula.Transport.TransportErrorKind.NotSent"/>. 0 disables the buffer.
    /// </summary>
    public int ReconnectBufferSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>The request timeout used when a request passes a zero or negative timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Receives connection diagnostics (errors, reconnects, slow consumers). Called synchronously from the client's
    /// loops: it must return quickly and must not block. Exceptions it throws are ignored.
    /// </summary>
    public Action<NatsEvent>? OnEvent { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option with a bad value.</summary>
    public void Validate()
    {
        if (Servers is null || Servers.Count == 0)
        {
            throw new ArgumentException("NatsOptions.Servers is empty: give at least one server URL such as 'nats://127.0.0.1:4222'.", nameof(Servers));
        }

        for (int i = 0; i < Servers.Count; i++)
        {
            if (!NatsServerAddress.TryParse(Servers[i], discovered: false, out _, out string error))
            {
                throw new ArgumentException($"NatsOptions.Servers[{i}] '{Servers[i]}' {error}.", nameof(Servers));
            }
        }

        if (Password is not null && User is null)
        {
            throw new ArgumentException("NatsOptions.Password is set but NatsOptions.User is not.", nameof(Password));
        }

        if (Token is not null && User is not null)
        {
            throw new ArgumentException("NatsOptions.Token and NatsOptions.User are both set: use either a token or a user and password.", nameof(Token));
        }

        if (TlsCaFile is not null && !File.Exists(TlsCaFile))
        {
            throw new ArgumentException($"NatsOptions.TlsCaFile '{TlsCaFile}' does not exist.", nameof(TlsCaFile));
        }

        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(PingInterval, nameof(PingInterval));
        RequirePositive(ReconnectWait, nameof(ReconnectWait));
        RequirePositive(ReconnectWaitMax, nameof(ReconnectWaitMax));
        RequirePositive(RequestTimeout, nameof(RequestTimeout));
        if (ReconnectWaitMax < ReconnectWait)
        {
            throw new ArgumentException($"NatsOptions.ReconnectWaitMax ({ReconnectWaitMax}) is shorter than NatsOptions.ReconnectWait ({ReconnectWait}).", nameof(ReconnectWaitMax));
        }

        if (MaxPingsOut < 1)
        {
            throw new ArgumentException($"NatsOptions.MaxPingsOut is {MaxPingsOut}; it must be at least 1.", nameof(MaxPingsOut));
        }

        if (MaxReconnectAttempts < -1)
        {
            throw new ArgumentException($"NatsOptions.MaxReconnectAttempts is {MaxReconnectAttempts}; use -1 to retry forever, or 0 or more.", nameof(MaxReconnectAttempts));
        }

        if (ReconnectBufferSize < 0)
        {
            throw new ArgumentException($"NatsOptions.ReconnectBufferSize is {ReconnectBufferSize}; it must be 0 (no buffer) or more.", nameof(ReconnectBufferSize));
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"NatsOptions.{name} is {value}; it must be a positive, finite time.", name);
        }
    }
}
