using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

/// <summary>Where a <see cref="NatsConnection"/> is in its life.</summary>
internal enum NatsConnectionState
{
    /// <summary>Not connected yet (or the first connect failed).</summary>
    Idle,

    /// <summary>Connected to a server.</summary>
    Connected,

    /// <summary>Lost its server and is looking for one; publishes are buffered.</summary>
    Reconnecting,

    /// <summary>Disposed, or gave up reconnecting.</summary>
    Closed,
}

/// <summary>
/// A NATS client connection: one socket at a time (a <see cref="NatsLink"/>), replaced transparently when it is lost.
/// Split by feature: the handshake, reading, publishing, subscribing, requests, keepalive and reconnecting each have
/// their own file.
/// </summary>
/// <remarks>
/// <see cref="_gate"/> guards the state, the current link, the outgoing buffers and the subscription table's
/// relation to what was sent, so that a subscription is written to a connection exactly once: either when it is
/// made (connected) or when a connection is established (replayed).
/// </remarks>
internal sealed partial class NatsConnection : IAsyncDisposable
{
    private static readonly string ClientVersion = typeof(NatsConnection).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";

    private readonly NatsOptions _options;
    private readonly object _gate = new();
    private readonly NatsOutbox _outbox;
    private readonly ServerPool _pool;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly ConcurrentDictionary<long, NatsSubscription> _subscriptions = new();
    private readonly Lazy<X509Certificate2Collection?> _trustedRoots;
    private NatsConnectionState _state;
    private NatsLink? _link;
    private long _generation;
    private int _maxPayload = ServerInfo.DefaultMaxPayload;
    private long _nextSid;

    public NatsConnection(NatsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _outbox = new NatsOutbox(_gate);
        var servers = new List<NatsServerAddress>(options.Servers.Count);
        foreach (string url in options.Servers)
        {
            NatsServerAddress.TryParse(url, discovered: false, out var address, out _);
            servers.Add(address!);
        }

        _pool = new ServerPool(servers);
        _trustedRoots = new Lazy<X509Certificate2Collection?>(() => NatsTls.LoadTrustedRoots(options.TlsCaFile));
        _inboxPrefix = "_INBOX." + Nuid.Next() + ".";
    }

    public NatsOptions Options => _options;

    public NatsConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The URL of the server currently connected, or null.</summary>
    public string? ConnectedUrl => Volatile.Read(ref _link)?.Server.Url;

    /// <summary>The current server's <c>max_payload</c> (the NATS default before the first connection).</summary>
    public int MaxPayload => Volatile.Read(ref _maxPayload);

    public IReadOnlyList<string> KnownServers => _pool.Urls;

    /// <summary>Connects to the first server of the list that accepts; a no-op once connected or reconnecting.</summary>
    public async ValueTask ConnectAsync(CancellationToken cancellationToken)
    {
        if (IsStarted())
        {
            return;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsStarted())
            {
                return;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            var servers = _pool.All();
            var failures = new List<string>(servers.Count);
            MaculaTransportException? last = null;
            foreach (var server in servers)
            {
                try
                {
                    var link = await ConnectOnceAsync(server, linked.Token).ConfigureAwait(false);
                    if (!Activate(link))
                    {
                        throw Closed();
                    }

                    Report(NatsEventKind.Connected, $"Connected to {server.Url} (server {link.Info.ServerName} {link.Info.Version}{(link.IsTls ? ", TLS" : string.Empty)}).", server.Url);
                    return;
                }
                catch (MaculaTransportException e) when (e.Kind != TransportErrorKind.Closed)
                {
                    last = e;
                    failures.Add(e.Message);
                    Report(NatsEventKind.ConnectFailed, e.Message, server.Url, e);
                }
                catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
                {
                    throw Closed();
                }
            }

            string message = failures.Count == 1 ? last!.Message : $"Could not connect to any of {failures.Count} NATS servers: {string.Join(" | ", failures)}";
            throw new MaculaTransportException(last!.Kind, message, last);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        NatsLink? link;
        lock (_gate)
        {
            if (_state == NatsConnectionState.Closed && _lifetime.IsCancellationRequested)
            {
                return;
            }

            _state = NatsConnectionState.Closed;
            link = _link;
            _outbox.StopWhenEmpty();
        }

        _lifetime.Cancel();
        if (link is not null)
        {
            // Give what was already accepted a bounded chance to reach the server, as a NATS client's close flushes.
            try
            {
                await link.WriteTask.WaitAsync(_options.ConnectTimeout).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Closing anyway: the flush was best effort.
            }
        }

        Shutdown(TransportErrorKind.Closed, "The NATS transport was closed while the request was in flight.");
        lock (_gate)
        {
            _outbox.Dispose();
        }

        Report(NatsEventKind.Closed, "The NATS connection was closed.", link?.Server.Url);
    }

    internal void ReportHandlerFailure(NatsSubscription subscription, Exception exception) =>
        Report(NatsEventKind.HandlerFailed, $"The handler of the subscription to '{subscription.Subject}' threw {exception.GetType().Name}: {exception.Message}", ConnectedUrl, exception);

    /// <summary>Tears everything down for good: the link, pending requests, subscriptions and buffered publishes.</summary>
    private void Shutdown(TransportErrorKind kind, string requestMessage)
    {
        NatsLink? link;
        int droppedBytes;
        lock (_gate)
        {
            _state = NatsConnectionState.Closed;
            link = _link;
            _link = null;
            if (link is not null)
            {
                link.Active = false;
            }

            droppedBytes = _outbox.Publish.Length;
            _outbox.DropPublishes();
            _outbox.ResetControl();
        }

        if (link is not null)
        {
            FailPongWaiters(link, kind);
            link.Dispose();
        }

        FailRequests(long.MaxValue, kind, requestMessage);
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Complete(drain: false);
        }

        _subscriptions.Clear();
        if (droppedBytes > 0)
        {
            Report(NatsEventKind.PublishesDropped, $"{droppedBytes} bytes of buffered publishes were dropped because the connection closed before they could be sent.");
        }
    }

    private bool IsStarted()
    {
        lock (_gate)
        {
            return _state switch
            {
                NatsConnectionState.Closed => throw Closed(),
                NatsConnectionState.Idle => false,
                _ => true,
            };
        }
    }

    /// <summary>Makes <paramref name="link"/> the current connection: restores subscriptions and starts its loops.</summary>
    private bool Activate(NatsLink link)
    {
        lock (_gate)
        {
            if (_state == NatsConnectionState.Closed)
            {
                link.Dispose();
                return false;
            }

            link.Generation = ++_generation;
            link.Active = true;
            Volatile.Write(ref _link, link);
            _state = NatsConnectionState.Connected;
            Volatile.Write(ref _maxPayload, link.Info.MaxPayload);
            _outbox.ResetControl();
            foreach (var subscription in _subscriptions.Values)
            {
                if (subscription.Ending)
                {
                    // Its UNSUB is waiting for a confirmation this new connection will never give: it simply ends.
                    continue;
                }

                NatsWriter.WriteSubscribe(_outbox.Control, subscription.Subject, subscription.QueueGroup, subscription.Sid);
                long max = subscription.MaxMessages;
                if (max > 0)
                {
                    // The server counts from the new SUB, so it is told only what is left.
                    NatsWriter.WriteUnsubscribe(_outbox.Control, subscription.Sid, Math.Max(1, max - subscription.Delivered));
                }
            }

            link.WriteTask = Task.Run(() => WriteLoopAsync(link));
            _ = Task.Run(() => ReadLoopAsync(link));
            _ = Task.Run(() => PingLoopAsync(link));
            _outbox.Signal();
        }

        AddDiscoveredServers(link, link.Info);
        if (link.Info.LameDuckMode)
        {
            Report(NatsEventKind.LameDuckMode, $"{link.Server.Url} is in lame duck mode and will close soon.", link.Server.Url);
        }

        return true;
    }

    /// <summary>Drops <paramref name="link"/> if it is still current, fails what was in flight on it and reconnects.</summary>
    private void OnLinkFailed(NatsLink link, NatsEventKind kind, string reason, Exception? exception)
    {
        long generation;
        lock (_gate)
        {
            if (!link.Active)
            {
                return;
            }

            link.Active = false;
            Volatile.Write(ref _link, null);
            generation = link.Generation;
            _outbox.ResetControl();
            _outbox.Signal();
            if (_state == NatsConnectionState.Connected)
            {
                _state = NatsConnectionState.Reconnecting;
            }
        }

        link.Dispose();
        FailPongWaiters(link, TransportErrorKind.ConnectionLost);
        FailRequests(generation, TransportErrorKind.ConnectionLost, $"The connection to {link.Server.Url} was lost while the request was in flight: {reason}");
        Report(kind, $"Lost the connection to {link.Server.Url}: {reason}", link.Server.Url, exception);
        if (kind != NatsEventKind.Disconnected)
        {
            Report(NatsEventKind.Disconnected, $"Disconnected from {link.Server.Url}; reconnecting.", link.Server.Url, exception);
        }

        if (!_lifetime.IsCancellationRequested)
        {
            _ = Task.Run(() => ReconnectLoopAsync(link.Server));
        }
    }

    private void FailPongWaiters(NatsLink link, TransportErrorKind kind)
    {
        List<TaskCompletionSource>? waiters = null;
        lock (_gate)
        {
            while (link.PongWaiters.TryDequeue(out var waiter))
            {
                if (waiter is not null)
                {
                    (waiters ??= []).Add(waiter);
                }
            }
        }

        if (waiters is null)
        {
            return;
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetException(new MaculaTransportException(kind, $"The connection to {link.Server.Url} was lost before the server confirmed the flush."));
        }
    }

    private void AddDiscoveredServers(NatsLink link, ServerInfo info)
    {
        if (info.ConnectUrls.Count == 0)
        {
            return;
        }

        var added = _pool.AddDiscovered(info.ConnectUrls, link.Server.Tls);
        if (added.Count > 0)
        {
            Report(NatsEventKind.ServersDiscovered, $"{link.Server.Url} announced cluster members {string.Join(", ", added)}.", link.Server.Url);
        }
    }

    private void Report(NatsEventKind kind, string message, string? server = null, Exception? exception = null)
    {
        var sink = _options.OnEvent;
        if (sink is null)
        {
            return;
        }

        try
        {
            sink(new NatsEvent(kind, message, server, exception));
        }
        catch (Exception)
        {
            // A diagnostic sink must not be able to break the connection.
        }
    }

    private static MaculaTransportException Closed() => new(TransportErrorKind.Closed, "The NATS transport is closed.");
}
