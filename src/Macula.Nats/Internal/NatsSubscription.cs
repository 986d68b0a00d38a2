using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Nats.Internal;

/// <summary>
/// One subscription. Messages are queued by the read loop and handed to the handler by this subscription's own
/// loop, one at a time and in order, so a slow handler delays only its own subscription.
/// </summary>
internal sealed class NatsSubscription : IAsyncDisposable
{
    /// <summary>Messages queued for a handler that has not caught up; beyond this the subscription is a slow consumer.</summary>
    public const int PendingLimit = 65_536;

    private readonly NatsConnection _owner;
    private readonly MessageHandler? _handler;
    private readonly Channel<TransportMessage>? _queue;
    private long _delivered;
    private long _maxMessages;
    private volatile bool _cancelled;
    private volatile bool _ending;
    private bool _overflowing;

    public NatsSubscription(NatsConnection owner, long sid, string subject, string? queueGroup, MessageHandler? handler)
    {
        _owner = owner;
        Sid = sid;
        Subject = subject;
        QueueGroup = queueGroup;
        _handler = handler;
        if (handler is not null)
        {
            _queue = Channel.CreateBounded<TransportMessage>(new BoundedChannelOptions(PendingLimit)
            {
                SingleReader = true,
                SingleWriter = false,
                FullMode = BoundedChannelFullMode.Wait,
            });
            Completion = Task.Run(PumpAsync);
        }
    }

    public long Sid { get; }

    public string Subject { get; }

    public string? QueueGroup { get; }

    /// <summary>Ends when the handler loop has stopped.</summary>
    public Task Completion { get; } = Task.CompletedTask;

    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Its UNSUB was sent and it waits for the server to confirm it; a reconnect does not subscribe it again.</summary>
    public bool Ending
    {
        get => _ending;
        set => _ending = value;
    }

    /// <summary>0 when unlimited; otherwise the total number of messages after which the subscription ends.</summary>
    public long MaxMessages
    {
        get => Interlocked.Read(ref _maxMessages);
        set => Interlocked.Exchange(ref _maxMessages, value);
    }

    /// <summary>
    /// Queues a message; returns whether the subscription reached its maximum with it. <paramref name="dropped"/> is
    /// set for the first message dropped since the handler last kept up, so a flood is reported once, not per message.
    /// Called only by the read loop.
    /// </summary>
    public bool Deliver(TransportMessage message, out bool dropped)
    {
        dropped = false;
        long n = Interlocked.Increment(ref _delivered);
        long max = MaxMessages;
        if (max > 0 && n > max)
        {
            return false;
        }

        if (_queue is not null)
        {
            if (_queue.Writer.TryWrite(message))
            {
                _overflowing = false;
            }
            else if (!_cancelled && !_overflowing)
            {
                _overflowing = true;
                dropped = true;
            }
        }

        return max > 0 && n == max;
    }

    /// <summary>Ends delivery; with <paramref name="drain"/> the handler still gets what is already queued.</summary>
    public void Complete(bool drain)
    {
        if (!drain)
        {
            _cancelled = true;
        }

        _queue?.Writer.TryComplete();
    }

    public ValueTask DisposeAsync() => _owner.UnsubscribeAsync(this);

    private async Task PumpAsync()
    {
        var reader = _queue!.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                if (_cancelled)
                {
                    return;
                }

                try
                {
                    await _handler!(message).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _owner.ReportHandlerFailure(this, e);
                }
            }
        }
    }
}
