using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats.Subscriptions;

/// <summary>
/// One <see cref="IMaculaTransport.SubscribeAsync"/>: a <see cref="RawSubscription"/> and the loop that hands its
/// messages to the handler in order, awaiting each. Disposing it drains: the UNSUB is confirmed by the server
/// (a PING answered), and what the server had already routed to it is still handed to the handler before it stops,
/// so a request routed to a stopping provider is answered rather than dropped.
/// </summary>
internal sealed class TransportSubscription : IAsyncDisposable
{
    private static readonly AsyncLocal<TransportSubscription?> Delivering = new();

    private readonly RawSubscription _sub;
    private readonly MessageHandler _handler;
    private readonly NatsTransport _owner;
    private readonly Task _loop;

    // The frames of the batch being delivered (one at a time: the loop awaits each frame's handler).
    private readonly List<Coalescing.BatchFrames.Frame> _frames = [];
    private int _disposed;

    public TransportSubscription(RawSubscription sub, MessageHandler handler, NatsTransport owner)
    {
        _sub = sub;
        _handler = handler;
        _owner = owner;
        _loop = Task.Run(RunAsync);
    }

    public string Subject => _sub.Subject;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _owner.Forget(this);
        try
        {
            // Without a connection no more can arrive; NATS.Client.Core drops the subscription on the next one.
            if (_owner.Connection.ConnectionState == NatsConnectionState.Open)
            {
                await _sub.DrainAsync().ConfigureAwait(false);
            }
            else
            {
                await _sub.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NatsException or ObjectDisposedException or OperationCanceledException)
        {
            // Best effort: a closed or lost connection has no more messages for this subscription anyway.
        }

        // A handler that disposes its own subscription must not wait for itself.
        if (Delivering.Value != this)
        {
            await _loop.ConfigureAwait(false);
        }

        await _sub.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A batch of calls (docs/wire-protocol.md, "Coalesced calls"): checked whole, then each frame handed to the
    /// handler as the message it stands for, in order; a malformed batch is dropped and reported, none of it handled.
    /// </summary>
    private async ValueTask DeliverBatchAsync(TransportMessage batch, string count)
    {
        _frames.Clear();
        if (Coalescing.BatchFrames.TryRead(batch.Payload, count, _frames) is { } problem)
        {
            _owner.Report(NatsEventKind.BadBatch, $"A batch on '{_sub.Subject}' was dropped: {problem}.");
            return;
        }

        _owner.ExpectReplies(batch.ReplyTo, _frames.Count);
        foreach (var frame in _frames)
        {
            try
            {
                await _handler(new TransportMessage(batch.Subject, frame.Subject, frame.Headers, frame.Payload)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _owner.Report(NatsEventKind.HandlerFailed, $"The handler of the subscription to '{_sub.Subject}' threw {ex.GetType().Name}: {ex.Message}; delivery goes on with the next message.", ex);
            }
        }
    }

    private async Task RunAsync()
    {
        Delivering.Value = this;
        var reader = _sub.Messages;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    if (message.Headers?[Coalescing.BatchFrames.Header] is { } count)
                    {
                        await DeliverBatchAsync(message, count).ConfigureAwait(false);
                        continue;
                    }

                    try
                    {
                        await _handler(message).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        _owner.Report(NatsEventKind.HandlerFailed, $"The handler of the subscription to '{_sub.Subject}' threw {ex.GetType().Name}: {ex.Message}; delivery goes on with the next message.", ex);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is NatsException or InvalidOperationException)
        {
            _owner.Report(NatsEventKind.HandlerFailed, $"The subscription to '{_sub.Subject}' ended: {ex.Message}", ex);
        }
    }
}
