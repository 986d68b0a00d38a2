using System.Text;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.NKeys;

namespace Macula.Nats;

/// <summary>
/// Settings of the NATS connection a <see cref="NatsTransport"/> opens for itself, mapped onto NATS.Client.Core's
/// <see cref="NatsOpts"/> by <see cref="ToNatsOpts"/>. Anything not covered here can be set through
/// <see cref="ConfigureNatsOpts"/>, or by giving the transport a whole <see cref="NatsOpts"/> or a connection of your own.
/// Validated once, when the transport is created.
/// </summary>
public sealed record NatsOptions
{
    /// <summary>A local server on the default port, with the defaults below.</summary>
    public static NatsOptions Default { get; } = new();

    /// <summary>
    /// The servers to connect to, in order (see <see cref="RandomizeServers"/>): <c>nats://host:port</c>, <c>tls://host:port</c> (TLS required), <c>ws://host:port</c>
    /// or <c>wss://host:port</c> (WebSocket), or <c>host:port</c>. Credentials may be given in the URL
    /// (<c>nats://user:pass@host:port</c>, <c>nats://token@host:port</c>). Servers a cluster announces are added while connected.
    /// </summary>
    public IReadOnlyList<string> Servers { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>Try the servers in a random order (spreading clients over a cluster) instead of the order given. Default false.</summary>
    public bool RandomizeServers { get; init; }

    /// <summary>The connection name the server shows in its monitoring.</summary>
    public string? Name { get; init; }

    /// <summary>The user name, with <see cref="Password"/>.</summary>
    public string? User { get; init; }

    /// <summary>The password of <see cref="User"/>.</summary>
    public string? Password { get; init; }

    /// <summary>An authentication token (instead of a user and password).</summary>
    public string? Token { get; init; }

    /// <summary>
    /// A JWT credentials file (<c>.creds</c>, as <c>nsc</c> and hosted NATS hand out): the user JWT and its NKey seed.
    /// The seed signs the server's nonce; decentralised (operator/account) authentication.
    /// </summary>
    public string? CredsFile { get; init; }

    /// <summary>A file holding an NKey user seed (<c>SU...</c>) for a server that lists the user's public NKey.</summary>
    public string? NKeySeedFile { get; init; }

    /// <summary>Refuse a server that does not offer TLS. TLS is used anyway whenever the server requires it.</summary>
    public bool TlsRequired { get; init; }

    /// <summary>
    /// Start TLS before any NATS traffic (the server's <c>handshake_first</c>, nats-server 2.10 and later), instead of
    /// upgrading after the server's INFO.
    /// </summary>
    public bool TlsFirst { get; init; }

    /// <summary>
    /// A PEM file of the CA certificates to trust for the server's certificate, instead of the system's trust store.
    /// The server's certificate must still name the host dialled.
    /// </summary>
    public string? TlsCaFile { get; init; }

    /// <summary>A PEM client certificate to present (for a server with <c>verify: true</c>), with <see cref="TlsKeyFile"/>.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>The PEM private key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>How long one attempt to connect to one server may take, TCP, TLS and the NATS handshake together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the client PINGs the server to detect a connection that died without being closed.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>PINGs left unanswered before the connection is declared stale and dropped.</summary>
    public int MaxPingsOut { get; init; } = 2;

    /// <summary>The first wait between two reconnect attempts; it doubles each failed attempt.</summary>
    public TimeSpan ReconnectWait { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between two reconnect attempts (a random jitter of up to 10% of it is added).</summary>
    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Failed reconnect attempts after which the transport gives up and closes (counted as NATS.Client.Core's
    /// <c>MaxReconnectRetry</c>); -1 tries forever.
    /// </summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    /// <summary>
    /// How long a publish, request or subscribe made while the connection is down waits for it to come back; past it the
    /// operation fails with <see cref="Macula.Transport.TransportErrorKind.NotSent"/> and nothing was sent.
    /// </summary>
    public TimeSpan DisconnectedWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The request timeout used when a request passes a zero or negative timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Coalesced calls: while other requests are in flight, requests to the same provider share one NATS message, and
    /// the provider answers them with batches of replies (docs/wire-protocol.md, "Coalesced calls"). Fewer messages
    /// through the server at high concurrency; no change with one call at a time. Every Macula node reads batches,
    /// whatever this says; turn it on where all providers run a Macula that does (not for providers written against the
    /// wire protocol in another language). Default off.
    /// </summary>
    public bool Coalescing { get; init; }

    /// <summary>
    /// Receives connection diagnostics (connects, disconnects, reconnects, failed attempts, server errors, slow
    /// consumers, lame duck mode). Must return quickly. Exceptions it throws are ignored.
    /// </summary>
    public Action<NatsEvent>? OnEvent { get; init; }

    /// <summary>Where NATS.Client.Core writes its own logs; none when <see langword="null"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Adjusts the <see cref="NatsOpts"/> made from these options, for any NATS.Client.Core setting not covered here.</summary>
    public Func<NatsOpts, NatsOpts>? ConfigureNatsOpts { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option with a bad value.</summary>
    public void Validate()
    {
        if (Servers is null || Servers.Count == 0)
        {
            throw new ArgumentException("NatsOptions.Servers is empty: give at least one server URL such as 'nats://127.0.0.1:4222'.", nameof(Servers));
        }

        for (int i = 0; i < Servers.Count; i++)
        {
            if (NatsServerUrl.Check(Servers[i]) is { } error)
            {
                throw new ArgumentException($"NatsOptions.Servers[{i}] '{Servers[i]}' {error}.", nameof(Servers));
            }
        }

        if (Password is not null && User is null)
        {
            throw new ArgumentException("NatsOptions.Password is set but NatsOptions.User is not.", nameof(Password));
        }

        var methods = new List<string>(4);
        AddIfSet(methods, User, nameof(User));
        AddIfSet(methods, Token, nameof(Token));
        AddIfSet(methods, CredsFile, nameof(CredsFile));
        AddIfSet(methods, NKeySeedFile, nameof(NKeySeedFile));
        if (methods.Count > 1)
        {
            throw new ArgumentException($"{string.Join(" and ", methods.ConvertAll(m => "NatsOptions." + m))} are all set: use one way to authenticate.", methods[1]);
        }

        RequireFile(CredsFile, nameof(CredsFile));
        RequireFile(NKeySeedFile, nameof(NKeySeedFile));
        if (NKeySeedFile is not null)
        {
            _ = ReadNKeySeed(NKeySeedFile);
        }

        RequireFile(TlsCaFile, nameof(TlsCaFile));
        RequireFile(TlsCertFile, nameof(TlsCertFile));
        RequireFile(TlsKeyFile, nameof(TlsKeyFile));
        if ((TlsCertFile is null) != (TlsKeyFile is null))
        {
            throw new ArgumentException("NatsOptions.TlsCertFile and NatsOptions.TlsKeyFile go together: give both or neither.", TlsCertFile is null ? nameof(TlsCertFile) : nameof(TlsKeyFile));
        }

        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(PingInterval, nameof(PingInterval));
        RequirePositive(ReconnectWait, nameof(ReconnectWait));
        RequirePositive(ReconnectWaitMax, nameof(ReconnectWaitMax));
        RequirePositive(RequestTimeout, nameof(RequestTimeout));
        RequirePositive(DisconnectedWait, nameof(DisconnectedWait));
        if (ReconnectWaitMax < ReconnectWait)
        {
            throw new ArgumentException($"NatsOptions.ReconnectWaitMax ({ReconnectWaitMax}) is shorter than NatsOptions.ReconnectWait ({ReconnectWait}).", nameof(ReconnectWaitMax));
        }

        if (MaxPingsOut < 1)
        {
            throw new ArgumentException($"NatsOptions.MaxPingsOut is {MaxPingsOut}; it must be at least 1.", nameof(MaxPingsOut));
        }

        if (MaxReconnectAttempts is < -1 or 0)
        {
            throw new ArgumentException($"NatsOptions.MaxReconnectAttempts is {MaxReconnectAttempts}; use -1 to retry forever, or 1 or more.", nameof(MaxReconnectAttempts));
        }
    }

    /// <summary>NATS.Client.Core's <see cref="NatsOpts.WriterBufferSize"/> for Macula's connections (see <see cref="ToNatsOpts"/>).</summary>
    internal const int WriterBufferSize = 1 << 20;

    /// <summary>The NATS.Client.Core options these settings stand for (after <see cref="ConfigureNatsOpts"/>).</summary>
    public NatsOpts ToNatsOpts()
    {
        var auth = NatsAuthOpts.Default with
        {
            Username = User,
            Password = Password,
            Token = Token,
            CredsFile = CredsFile,
        };
        if (NKeySeedFile is not null)
        {
            var (seed, publicKey) = ReadNKeySeed(NKeySeedFile);
            auth = auth with { Seed = seed, NKey = publicKey };
        }

        var tls = NatsTlsOpts.Default with
        {
            CaFile = TlsCaFile,
            CertFile = TlsCertFile,
            KeyFile = TlsKeyFile,
            Mode = TlsFirst ? TlsMode.Implicit : TlsRequired ? TlsMode.Require : TlsMode.Auto,
        };
        var opts = NatsOpts.Default with
        {
            Url = string.Join(",", Servers),
            NoRandomize = !RandomizeServers,
            Name = Name ?? "macula",
            AuthOpts = auth,
            TlsOpts = tls,
            ConnectTimeout = ConnectTimeout,
            PingInterval = PingInterval,
            MaxPingOut = MaxPingsOut,
            ReconnectWaitMin = ReconnectWait,
            ReconnectWaitMax = ReconnectWaitMax,
            ReconnectJitter = ReconnectWaitMax / 10,
            MaxReconnectRetry = MaxReconnectAttempts,
            RequestTimeout = RequestTimeout,
            CommandTimeout = DisconnectedWait,
            PublishTimeoutOnDisconnected = true,
            HeaderEncoding = Encoding.UTF8,
            // NATS.Client.Core serializes each message's payload into a pooled buffer of WriterBufferSize / 256 bytes
            // first, growing it (a rent and a copy) when the payload is larger, and takes a fresh buffer of that size
            // for the next message: 64 KB (the default) gives 256 bytes, so every 1 KB call grew it. 1 MB gives 4 KB
            // (no growth up to 4 KB payloads); it is also the most bytes the connection buffers before a publish waits.
            WriterBufferSize = WriterBufferSize,
            LoggerFactory = LoggerFactory ?? NatsOpts.Default.LoggerFactory,
        };
        return ConfigureNatsOpts is null ? opts : ConfigureNatsOpts(opts);
    }

    /// <summary>
    /// The seed in <paramref name="path"/> and its public key. NATS.Client.Core's own <c>NKeyFile</c> wants the public
    /// key on a line of its own too; a seed file as <c>nk -gen user</c> writes it holds only the seed.
    /// </summary>
    private static (string Seed, string PublicKey) ReadNKeySeed(string path)
    {
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (line.StartsWith("SU", StringComparison.Ordinal))
            {
                try
                {
                    using var pair = KeyPair.FromSeed(line.AsSpan());
                    return (line, pair.GetPublicKey());
                }
                catch (NKeysException ex)
                {
                    throw new ArgumentException($"NatsOptions.NKeySeedFile '{path}' holds a user seed that is not valid: {ex.Message}", nameof(NKeySeedFile), ex);
                }
            }
        }

        throw new ArgumentException($"NatsOptions.NKeySeedFile '{path}' holds no user NKey seed (a line starting with 'SU').", nameof(NKeySeedFile));
    }

    private static void AddIfSet(List<string> names, string? value, string name)
    {
        if (value is not null)
        {
            names.Add(name);
        }
    }

    private static void RequireFile(string? path, string name)
    {
        if (path is not null && !File.Exists(path))
        {
            throw new ArgumentException($"NatsOptions.{name} '{path}' does not exist.", name);
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
