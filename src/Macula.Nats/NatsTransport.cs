using Macula.Transport;

namespace Macula.Nats;

/// <summary>
/// <see cref="IMaculaTransport"/> over NATS: a NATS client (TCP or TLS) that reconnects across the server list,
/// restores its subscriptions, buffers publishes while disconnected, and shares one inbox subscription among all
/// requests.
/// </summary>
public sealed class NatsTransport : IMaculaTransport
{
    private readonly NatsConnection _connection;

    /// <summary>Creates a transport; nothing connects until <see cref="ConnectAsync"/>.</summary>
    /// <exception cref="ArgumentException">An option has a bad value; the message names it.</exception>
    public NatsTransport(NatsOptions options)
    {
        _connection = new NatsConnection(options);
    }

    /// <summary>Creates a transport to one server, with the default options.</summary>
    public NatsTransport(string url)
        : this(NatsOptions.Default with { Servers = [url] })
    {
    }

    /// <summary>The options this transport was created with.</summary>
    public NatsOptions Options => _connection.Options;

    /// <summary>The server's <c>max_payload</c> (headers and payload together); the NATS default of 1 MiB before the first connection.</summary>
    public int MaxPayload => _connection.MaxPayload;

    /// <summary>Whether a server connection is up right now.</summary>
    public bool IsConnected => _connection.State == NatsConnectionState.Connected;

    /// <summary>Whether the transport is closed for good (disposed, or it gave up reconnecting).</summary>
    public bool IsClosed => _connection.State == NatsConnectionState.Closed;

    /// <summary>The URL (without credentials) of the server connected right now, or <see langword="null"/>.</summary>
    public string? ConnectedServer => _connection.ConnectedUrl;

    /// <summary>Every server the transport may reconnect to: the configured ones and those the cluster announced.</summary>
    public IReadOnlyList<string> KnownServers => _connection.KnownServers;

    internal NatsConnection Connection => _connection;

    /// <summary>
    /// Connects to the first server of <see cref="NatsOptions.Servers"/> that accepts. Fails with
    /// <see cref="TransportErrorKind.ConnectionRefused"/> (naming each server's reason, such as
    /// 'Authorization Violation') when none does; a no-op once connected.
    /// </summary>
    public ValueTask ConnectAsync(CancellationToken cancellationToken = default) => _connection.ConnectAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, string? replyTo = null, CancellationToken cancellationToken = default) =>
        _connection.PublishAsync(subject, payload, headers, replyTo, cancellationToken);

    /// <summary>
    /// Subscribes <paramref name="handler"/>; when connected, returns once the server has confirmed the
    /// subscription, so a message published after this returns reaches it. The subscription survives reconnects.
    /// </summary>
    public async ValueTask<IAsyncDisposable> SubscribeAsync(string subject, MessageHandler handler, string? queueGroup = null, CancellationToken cancellationToken = default)
    {
        var subscription = _connection.Subscribe(subject, queueGroup, handler);
        if (_connection.State == NatsConnectionState.Connected)
        {
            try
            {
                await _connection.FlushAsync(_connection.Options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (MaculaTransportException e) when (e.Kind is TransportErrorKind.ConnectionLost or TransportErrorKind.NotSent or TransportErrorKind.Timeout)
            {
                // The subscription is registered and will be sent again on the next connection.
            }
            catch (OperationCanceledException)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return subscription;
    }

    /// <inheritdoc />
    /// <remarks>A zero or negative <paramref name="timeout"/> means <see cref="NatsOptions.RequestTimeout"/>.</remarks>
    public ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _connection.RequestAsync(subject, payload, headers, timeout, cancellationToken);

    /// <summary>Sends a request with <see cref="NatsOptions.RequestTimeout"/>.</summary>
    public ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, CancellationToken cancellationToken = default) =>
        _connection.RequestAsync(subject, payload, headers, TimeSpan.Zero, cancellationToken);

    /// <summary>Waits until the server has processed everything sent so far (a PING answered by a PONG).</summary>
    /// <exception cref="MaculaTransportException">Not connected, the connection was lost, or no answer within <paramref name="timeout"/>.</exception>
    public ValueTask FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default) => _connection.FlushAsync(timeout, cancellationToken);

    /// <summary>Flushes what was accepted (bounded by <see cref="NatsOptions.ConnectTimeout"/>), then closes; pending requests fail with <see cref="TransportErrorKind.Closed"/>.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
