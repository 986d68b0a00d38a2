using System.Globalization;
using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    /// <summary>
    /// PINGs the server every <see cref="NatsOptions.PingInterval"/>; a link that leaves more than
    /// <see cref="NatsOptions.MaxPingsOut"/> of them unanswered is stale (a dead peer, a stalled server) and dropped.
    /// </summary>
    private async Task PingLoopAsync(NatsLink link)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.PingInterval);
            while (await timer.WaitForNextTickAsync(link.Token).ConfigureAwait(false))
            {
                if (link.IncrementPingsOut() > _options.MaxPingsOut)
                {
                    OnLinkFailed(
                        link,
                        NatsEventKind.Disconnected,
                        string.Create(CultureInfo.InvariantCulture, $"stale connection: {_options.MaxPingsOut} PINGs sent {_options.PingInterval.TotalMilliseconds:0} ms apart were not answered."),
                        null);
                    return;
                }

                lock (_gate)
                {
                    if (!link.Active)
                    {
                        return;
                    }

                    NatsWriter.WritePing(_outbox.Control);
                    link.PongWaiters.Enqueue(null);
                    _outbox.Signal();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The link was torn down.
        }
        catch (ObjectDisposedException)
        {
            // The link's token source was disposed as it was torn down.
        }
    }

    private void OnPong(NatsLink link)
    {
        link.ResetPingsOut();
        TaskCompletionSource? waiter = null;
        lock (_gate)
        {
            link.PongWaiters.TryDequeue(out waiter);
        }

        waiter?.TrySetResult();
    }

    /// <summary>
    /// Sends a PING and waits for its PONG: everything written before it has then been processed by the server
    /// (subscriptions are live, publishes were routed).
    /// </summary>
    public async ValueTask FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_state == NatsConnectionState.Closed)
            {
                throw Closed();
            }

            var link = _link;
            if (link is null)
            {
                throw new MaculaTransportException(TransportErrorKind.NotSent, "Cannot flush: the NATS transport is not connected.");
            }

            NatsWriter.WritePing(_outbox.Control);
            link.PongWaiters.Enqueue(waiter);
            _outbox.Signal();
        }

        try
        {
            await waiter.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new MaculaTransportException(TransportErrorKind.Timeout, string.Create(CultureInfo.InvariantCulture, $"The server did not answer a flush within {timeout.TotalMilliseconds:0} ms."));
        }
    }
}
