using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Transport.InMemory;

/// <summary>
/// One subscription: a queue of messages drained in order by one loop. Disposing it waits until the loop has handed the
/// handler what was already queued, as the NATS transport's drain does.
/// </summary>
internal sealed class InMemorySubscription : IAsyncDisposable
{
    private static readonly AsyncLocal<InMemorySubscription?> Delivering = new();

    private readonly Channel<TransportMessage> _queue = Channel.CreateUnbounded<TransportMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly MessageHandler _handler;
    private readonly Task _pump;

    public InMemorySubscription(InMemoryTransport owner, string subject, string? queueGroup, MessageHandler handler)
    {
        Owner = owner;
        Subject = subject;
        QueueGroup = queueGroup;
        IsWildcard = SubjectMatcher.HasWildcard(subject);
        _handler = handler;
        _pump = Task.Run(PumpAsync);
    }

    public InMemoryTransport Owner { get; }

    public string Subject { get; }

    public string? QueueGroup { get; }

    public bool IsWildcard { get; }

    /// <summary>Queues a message; <see langword="false"/> when the subscription has closed and did not take it.</summary>
    public bool Deliver(TransportMessage message)
    {
        var faults = Owner.Faults;
        bool faulted = faults.AppliesTo(message.Subject);
        if (faulted && faults.DropIncoming)
        {
            return true;
        }

        if (faulted && faults.Delay > TimeSpan.Zero)
        {
            _ = DeliverLaterAsync(message, faults.Delay);
            return true;
        }

        return _queue.Writer.TryWrite(message);
    }

    public void Close()
    {
        Owner.Forget(this);
        Owner.Network.Remove(this);
        _queue.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        Close();

        // A handler that disposes its own subscription must not wait for itself.
        if (Delivering.Value != this)
        {
            await _pump.ConfigureAwait(false);
        }
    }

    private async Task DeliverLaterAsync(TransportMessage message, TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        _queue.Writer.TryWrite(message);
    }

    private async Task PumpAsync()
    {
        Delivering.Value = this;
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                try
                {
                    await _handler(message).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // A handler's failure must not stop delivery to this subscription; handlers report their own errors.
                }
            }
        }
    }
}
