using Macula.Nats.Diagnostics;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>NATS.Client.Core's connection events, turned into <see cref="NatsEvent"/>s and into failed requests.</summary>
public sealed partial class NatsTransport
{
    private string? _current;
    private string? _dialed;
    private Func<(string Host, int Port), ValueTask<(string Host, int Port)>>? _userOnConnecting;
    private int _opened;
    private int _generation;
    private int _connecting;

    /// <summary>Reports an event to <see cref="NatsOptions.OnEvent"/>; a throwing handler is ignored.</summary>
    internal void Report(NatsEventKind kind, string message, Exception? exception = null, string? server = null)
    {
        if (_onEvent is null)
        {
            return;
        }

        try
        {
            _onEvent(new NatsEvent(kind, message, server ?? Volatile.Read(ref _current), exception));
        }
        catch (Exception)
        {
            // The handler's failure must not break the connection's event loop.
        }
    }

    private void Hook()
    {
        _connection.ConnectionOpened += OnOpenedAsync;
        _connection.ConnectionDisconnected += OnDisconnectedAsync;
        _connection.ReconnectFailed += OnReconnectFailedAsync;
        _connection.ServerError += OnServerErrorAsync;
        _connection.SlowConsumerDetected += OnSlowConsumerAsync;
        _connection.MessageDropped += OnMessageDroppedAsync;
        _connection.LameDuckModeActivated += OnLameDuckAsync;
        if (_ownsConnection)
        {
            _userOnConnecting = _connection.OnConnectingAsync;
            _connection.OnConnectingAsync = OnConnectingAsync;
        }
    }

    private void Unhook()
    {
        _connection.ConnectionOpened -= OnOpenedAsync;
        _connection.ConnectionDisconnected -= OnDisconnectedAsync;
        _connection.ReconnectFailed -= OnReconnectFailedAsync;
        _connection.ServerError -= OnServerErrorAsync;
        _connection.SlowConsumerDetected -= OnSlowConsumerAsync;
        _connection.MessageDropped -= OnMessageDroppedAsync;
        _connection.LameDuckModeActivated -= OnLameDuckAsync;
    }

    private ValueTask<(string Host, int Port)> OnConnectingAsync((string Host, int Port) target)
    {
        Volatile.Write(ref _dialed, MatchKnown(target.Host, target.Port));
        return _userOnConnecting is { } user ? user(target) : ValueTask.FromResult(target);
    }

    private string? DialedServer() => Volatile.Read(ref _dialed);

    private string MatchKnown(string host, int port)
    {
        foreach (string known in KnownServers)
        {
            if (Uri.TryCreate(known, UriKind.Absolute, out var uri) && uri.Port == port && string.Equals(uri.Host.Trim('[', ']'), host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return NatsErrors.ServerName($"nats://{(host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host)}:{port}");
    }

    private void OnAttemptFailed(string server, Exception exception)
    {
        // The first connect raises no event of its own; reconnect attempts are reported by OnReconnectFailedAsync.
        if (Volatile.Read(ref _connecting) != 0)
        {
            Report(NatsEventKind.ConnectFailed, $"Could not connect to {server}: {NatsErrors.Reason(exception)}.", exception, server);
        }
    }

    private ValueTask OnOpenedAsync(object? sender, NatsEventArgs args)
    {
        string server = NatsErrors.ServerName(args.Message);
        Volatile.Write(ref _current, server);
        Volatile.Write(ref _dialed, server);
        var info = _connection.ServerInfo;
        bool tls = info is { TlsRequired: true } || server.StartsWith("tls:", StringComparison.Ordinal) || server.StartsWith("wss:", StringComparison.Ordinal)
            || _connection.Opts.TlsOpts.Mode is TlsMode.Require or TlsMode.Implicit;
        string described = $"{server} ({info?.Name ?? "?"}, nats-server {info?.Version ?? "?"}{(tls ? ", TLS" : string.Empty)}, max_payload {MaxPayload})";
        bool first = Interlocked.Increment(ref _opened) == 1;
        Report(first ? NatsEventKind.Connected : NatsEventKind.Reconnected, first ? $"Connected to {described}." : $"Reconnected to {described}; the subscriptions were restored.", server: server);

        var discovered = new List<string>();
        foreach (string url in info?.ClientConnectUrls ?? [])
        {
            string name = NatsErrors.ServerName(url);
            if (!_configured.Contains(name))
            {
                discovered.Add(name);
            }
        }

        if (discovered.Count > 0)
        {
            Report(NatsEventKind.ServersDiscovered, $"The cluster announced {string.Join(", ", discovered)}; they are tried on reconnect.", server: server);
        }

        return default;
    }

    private ValueTask OnDisconnectedAsync(object? sender, NatsEventArgs args)
    {
        string server = NatsErrors.ServerName(args.Message);
        Volatile.Write(ref _current, null);

        // Requests made from here on wait for the next connection; those made before it may have been delivered.
        int generation = Interlocked.Increment(ref _generation);
        _replies.FailOlderThan(generation, p => new MaculaTransportException(
            TransportErrorKind.ConnectionLost,
            $"The connection to {server} was lost while the request on '{p.Subject}' was waiting for its reply; it may have been delivered."));
        Report(NatsEventKind.Disconnected, $"Lost the connection to {server}; reconnecting.", server: server);
        _ = WatchForGiveUpAsync();
        return default;
    }

    private async Task WatchForGiveUpAsync()
    {
        try
        {
            await _connection.ConnectAsync().ConfigureAwait(false);
        }
        catch (NatsException ex) when (_connection.ConnectionState == NatsConnectionState.Failed)
        {
            // What still waits was made after the last connection was lost, so it never went out.
            _replies.FailAll(TransportErrorKind.Closed, "The connection gave up reconnecting", notDelivered: true);
            Report(NatsEventKind.Closed, $"Gave up reconnecting (MaxReconnectAttempts): {ex.Message}. The transport is closed.", ex);
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException or ObjectDisposedException)
        {
            // Disposed, or another disconnect started its own watch.
        }
    }

    private ValueTask OnReconnectFailedAsync(object? sender, NatsEventArgs args)
    {
        string server = NatsErrors.ServerName(args.Message);
        string reason = _failures?.LastReason(server) ?? "refused or unreachable";
        Report(NatsEventKind.ConnectFailed, $"Could not reconnect to {server}: {reason}.", server: server);
        return default;
    }

    private ValueTask OnServerErrorAsync(object? sender, NatsServerErrorEventArgs args)
    {
        Report(NatsEventKind.ServerError, $"The server sent -ERR '{args.Error}' ({args.Kind}).");
        return default;
    }

    private ValueTask OnSlowConsumerAsync(object? sender, NatsSlowConsumerEventArgs args)
    {
        Report(NatsEventKind.SlowConsumer, $"The handler of the subscription to '{args.Subscription.Subject}' fell behind: its pending messages are full and new ones are dropped.");
        return default;
    }

    private ValueTask OnMessageDroppedAsync(object? sender, NatsMessageDroppedEventArgs args)
    {
        Report(NatsEventKind.MessageDropped, $"A message on '{args.Subject}' was dropped: the subscription to '{args.Subscription.Subject}' has {args.Pending} messages pending.");
        return default;
    }

    private ValueTask OnLameDuckAsync(object? sender, NatsLameDuckModeActivatedEventArgs args)
    {
        Report(NatsEventKind.LameDuckMode, $"The server {NatsErrors.ServerName(args.Uri.ToString())} is shutting down (lame duck mode); the connection moves when it closes.");
        return default;
    }
}
