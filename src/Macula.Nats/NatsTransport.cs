using Macula.Nats.Diagnostics;
using Macula.Nats.Requests;
using Macula.Nats.Subscriptions;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>
/// <see cref="IMaculaTransport"/> over NATS.Client.Core: on a connection the transport opens for itself (from
/// <see cref="NatsOptions"/> or a whole <see cref="NatsOpts"/>), or on the application's own
/// <see cref="INatsConnection"/>, which then carries the app's NATS traffic and Macula's side by side and is never
/// disposed by Macula. NATS.Client.Core reconnects across the server list and restores the subscriptions; all
/// requests share one reply subscription.
/// </summary>
public sealed partial class NatsTransport : IMaculaTransport
{
    private const int DefaultMaxPayload = 1024 * 1024;

    private readonly INatsConnection _connection;
    private readonly bool _ownsConnection;
    private readonly Action<NatsEvent>? _onEvent;
    private readonly ConnectFailureLog? _failures;
    private readonly IReadOnlyList<string> _configured;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _disconnectedWait;
    private readonly ReplyTable _replies = new();
    private readonly HashSet<TransportSubscription> _subscriptions = [];
    private readonly Lock _gate = new();
    private ReplyInbox? _inbox;
    private int _connectCalled;
    private int _disposed;

    /// <summary>Creates a transport that opens its own connection; nothing connects until <see cref="ConnectAsync"/>.</summary>
    /// <exception cref="ArgumentException">An option has a bad value; the message names it.</exception>
    public NatsTransport(NatsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _onEvent = options.OnEvent;
        var opts = options.ToNatsOpts();
        _failures = new ConnectFailureLog(opts.LoggerFactory, OnAttemptFailed);
        _connection = new NatsConnection(opts with { LoggerFactory = _failures });
        _ownsConnection = true;
        _configured = Redacted(options.Servers);
        _requestTimeout = options.RequestTimeout;
        _disconnectedWait = options.DisconnectedWait;
        _coalesce = options.Coalescing;
        Hook();
    }

    /// <summary>Creates a transport to one server, with the default options.</summary>
    public NatsTransport(string url)
        : this(NatsOptions.Default with { Servers = [url] })
    {
    }

    /// <summary>
    /// Creates a transport that opens its own connection from a whole <see cref="NatsOpts"/>, for settings
    /// <see cref="NatsOptions"/> does not cover. Requests wait at most <see cref="NatsOpts.RequestTimeout"/> when they
    /// pass no timeout; operations made while disconnected wait at most <see cref="NatsOpts.CommandTimeout"/>.
    /// </summary>
    public NatsTransport(NatsOpts opts, Action<NatsEvent>? onEvent = null)
    {
        ArgumentNullException.ThrowIfNull(opts);
        _onEvent = onEvent;
        _failures = new ConnectFailureLog(opts.LoggerFactory, OnAttemptFailed);
        _connection = new NatsConnection(opts with { LoggerFactory = _failures });
        _ownsConnection = true;
        _configured = Redacted(opts.Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        _requestTimeout = opts.RequestTimeout;
        _disconnectedWait = opts.CommandTimeout;
        Hook();
    }

    /// <summary>
    /// Creates a transport over the application's own connection (for example the one NATS.Client.Hosting's
    /// <c>AddNats</c> registers). Macula subscribes and publishes on it beside the app and never disposes it; disposing
    /// the transport removes only Macula's subscriptions and event handlers.
    /// </summary>
    public NatsTransport(INatsConnection connection, Action<NatsEvent>? onEvent = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _onEvent = onEvent;
        _configured = Redacted(connection.Opts.Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        _requestTimeout = connection.Opts.RequestTimeout;
        _disconnectedWait = connection.Opts.CommandTimeout;
        Hook();
    }

    /// <summary>The options this transport was created with, or <see langword="null"/> when it was given a <see cref="NatsOpts"/> or a connection.</summary>
    public NatsOptions? Options { get; }

    /// <summary>The NATS connection under this transport: the app may publish and subscribe on it too.</summary>
    public INatsConnection Connection => _connection;

    /// <summary>The server's <c>max_payload</c> (headers and payload together); the NATS default of 1 MiB before the first connection.</summary>
    public int MaxPayload => _connection.ServerInfo?.MaxPayload is > 0 and int max ? max : DefaultMaxPayload;

    /// <summary>Whether a server connection is up right now.</summary>
    public bool IsConnected => Volatile.Read(ref _disposed) == 0 && _connection.ConnectionState == NatsConnectionState.Open;

    /// <summary>Whether the transport is closed for good (disposed, or the connection gave up reconnecting).</summary>
    public bool IsClosed => Volatile.Read(ref _disposed) != 0 || _connection.ConnectionState == NatsConnectionState.Failed;

    /// <summary>The URL (without credentials) of the server connected right now, or <see langword="null"/>.</summary>
    public string? ConnectedServer => IsConnected ? Volatile.Read(ref _current) ?? DialedServer() : null;

    /// <summary>Every server the transport may reconnect to: the configured ones and those the cluster announced.</summary>
    public IReadOnlyList<string> KnownServers
    {
        get
        {
            var known = new List<string>(_configured);
            foreach (string url in _connection.ServerInfo?.ClientConnectUrls ?? [])
            {
                string name = NatsErrors.ServerName(url);
                if (!known.Contains(name))
                {
                    known.Add(name);
                }
            }

            return known;
        }
    }

    /// <summary>
    /// Connects to the first server of the list that accepts. Fails with <see cref="TransportErrorKind.ConnectionRefused"/>
    /// (naming each server and its reason, such as 'Authorization Violation') when none does; a no-op once connected.
    /// </summary>
    public async ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        Interlocked.Exchange(ref _connectCalled, 1);
        if (_connection.ConnectionState != NatsConnectionState.Open)
        {
            Volatile.Write(ref _connecting, 1);
            try
            {
                await _connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or IOException or System.Net.Sockets.SocketException or ArgumentException)
            {
                throw Refused(ex);
            }
            finally
            {
                Volatile.Write(ref _connecting, 0);
            }
        }

        await EnsureInboxAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the server has processed everything sent so far (a PING answered by a PONG).</summary>
    /// <exception cref="MaculaTransportException">Not connected, the connection was lost, or no answer within <paramref name="timeout"/>.</exception>
    public async ValueTask FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _connection.PingAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MaculaTransportException(TransportErrorKind.Timeout, $"The server did not answer a PING within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (NatsException ex)
        {
            throw new MaculaTransportException(TransportErrorKind.ConnectionLost, $"The flush failed: {NatsErrors.Reason(ex)}.", ex);
        }
    }

    /// <summary>
    /// Closes: Macula's subscriptions end, requests waiting fail with <see cref="TransportErrorKind.Closed"/>. A connection
    /// the transport opened is flushed (bounded by the connect timeout) and disposed; the app's own connection is left open.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Unhook();
        _replies.FailAll(TransportErrorKind.Closed, "The transport was closed while the request was waiting for its reply; it may have been delivered", notDelivered: false);
        TransportSubscription[] subscriptions;
        lock (_gate)
        {
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }

        foreach (var subscription in subscriptions)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }

        if (_inbox is { } inbox)
        {
            await DisposeQuietlyAsync(inbox.DisposeAsync()).ConfigureAwait(false);
        }

        if (_ownsConnection)
        {
            if (_connection.ConnectionState == NatsConnectionState.Open)
            {
                // Everything published before the PING is with the server once its PONG is back.
                using var flush = new CancellationTokenSource(_connection.Opts.ConnectTimeout);
                try
                {
                    await _connection.PingAsync(flush.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or NatsException or ObjectDisposedException)
                {
                    // Best effort: the connection is going away.
                }
            }

            await DisposeQuietlyAsync(_connection.DisposeAsync()).ConfigureAwait(false);
            Report(NatsEventKind.Closed, "The transport was disposed; its connection is closed.");
        }
    }

    /// <summary>The subjects of the NATS subscriptions this transport holds (its reply inbox and live subscriptions).</summary>
    internal IReadOnlyList<string> SubscriptionSubjects()
    {
        var subjects = new List<string>();
        if (_inbox is { } inbox)
        {
            subjects.Add(inbox.Subject);
        }

        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                subjects.Add(subscription.Subject);
            }
        }

        return subjects;
    }

    internal void Forget(TransportSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private static IReadOnlyList<string> Redacted(IEnumerable<string> servers)
    {
        var names = new List<string>();
        foreach (string server in servers)
        {
            string name = NatsErrors.ServerName(server);
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        return names;
    }

    private static async ValueTask DisposeQuietlyAsync(ValueTask dispose)
    {
        try
        {
            await dispose.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or ObjectDisposedException or OperationCanceledException)
        {
            // Closing anyway.
        }
    }

    private async ValueTask EnsureInboxAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _inbox) is not null)
        {
            return;
        }

        // Not under the connection's own inbox prefix, which NATS.Client.Core reserves for its RequestAsync.
        string prefix = _connection.Opts.InboxPrefix + "." + Nuid.NewNuid() + ".";
        var inbox = new ReplyInbox(_connection, prefix, _replies, this);
        if (Interlocked.CompareExchange(ref _inbox, inbox, null) is not null)
        {
            return;
        }

        try
        {
            await _connection.AddSubAsync(inbox, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException)
        {
            Interlocked.CompareExchange(ref _inbox, null, inbox);
            throw new MaculaTransportException(TransportErrorKind.NotSent, $"Could not subscribe the reply inbox: {NatsErrors.Reason(ex)}.", ex);
        }
    }

    private MaculaTransportException Refused(Exception ex)
    {
        var reasons = new List<string>();
        if (_failures is not null)
        {
            foreach (string server in _configured)
            {
                if (_failures.LastReason(server) is { } reason)
                {
                    reasons.Add($"{server}: {reason}");
                }
            }
        }

        // NATS.Client.Core's own summary when every server failed only lists them: the reasons above say more.
        string detail = NatsErrors.Reason(ex);
        if (reasons.Count == 0 || !detail.StartsWith("can not connect uris", StringComparison.Ordinal))
        {
            reasons.Add(detail);
        }

        return new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"Could not connect to NATS at {string.Join(", ", _configured)}: {string.Join("; ", reasons)}", ex);
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new MaculaTransportException(TransportErrorKind.Closed, "The NATS transport has been disposed.");
        }
    }
}
