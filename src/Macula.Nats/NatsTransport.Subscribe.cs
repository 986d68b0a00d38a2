using Macula.Nats.Diagnostics;
using Macula.Nats.Subscriptions;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>Subscribing: live on the server when it returns; unsubscribing drains, so no routed request is dropped.</summary>
public sealed partial class NatsTransport
{
    /// <summary>
    /// Subscribes <paramref name="handler"/>; returns once the server has confirmed the subscription (a PING answered
    /// after the SUB), so a message published after this returns reaches it. NATS.Client.Core restores it after a
    /// reconnect. Made while the connection is down, it waits up to <see cref="NatsOptions.DisconnectedWait"/> for it.
    /// Disposing the result unsubscribes, confirmed by the server, and hands the handler what had already arrived.
    /// </summary>
    public async ValueTask<IAsyncDisposable> SubscribeAsync(string subject, MessageHandler handler, string? queueGroup = null, CancellationToken cancellationToken = default)
    {
        SubjectMatcher.Validate(subject, allowWildcards: true);
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfDisposed();
        if (Volatile.Read(ref _connectCalled) == 0)
        {
            throw new MaculaTransportException(TransportErrorKind.NotSent, $"Could not subscribe to '{subject}': the transport is not connected; call ConnectAsync first.");
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_disconnectedWait + _connection.Opts.ConnectTimeout);
        var sub = new RawSubscription(_connection, subject, queueGroup, this);
        try
        {
            await _connection.AddSubAsync(sub, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MaculaTransportException(TransportErrorKind.NotSent, $"Could not subscribe to '{subject}': the connection did not come back within DisconnectedWait ({_disconnectedWait.TotalMilliseconds:0} ms).");
        }
        catch (NatsException ex)
        {
            throw new MaculaTransportException(TransportErrorKind.NotSent, $"Could not subscribe to '{subject}': {NatsErrors.Reason(ex)}.", ex);
        }

        var subscription = new TransportSubscription(sub, handler, this);
        lock (_gate)
        {
            _subscriptions.Add(subscription);
        }

        try
        {
            // The server handles a connection's commands in order: its PONG means the SUB is in place.
            await _connection.PingAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException)
        {
            // The connection dropped after the SUB: NATS.Client.Core sends it again on the next connection.
        }

        return subscription;
    }
}
