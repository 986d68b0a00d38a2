using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Rpc.Streaming;

/// <summary>The subscription that receives one attempt's items, heartbeats and end, and when it last heard anything.</summary>
internal sealed class StreamInbox(TimeProvider time, string subject) : IAsyncDisposable
{
    private readonly Channel<TransportMessage> _messages = Channel.CreateUnbounded<TransportMessage>(new UnboundedChannelOptions());
    private IAsyncDisposable? _subscription;
    private long _lastHeard = time.GetTimestamp();

    public string Subject { get; } = subject;

    public ChannelReader<TransportMessage> Reader => _messages.Reader;

    public long LastHeard => Volatile.Read(ref _lastHeard);

    public async ValueTask SubscribeAsync(IMaculaTransport transport, CancellationToken cancellationToken) =>
        _subscription = await transport.SubscribeAsync(Subject, OnMessageAsync, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>A sentinel the reader gets when <see cref="Interrupt"/> was called; never from the transport.</summary>
    public static readonly TransportMessage Interruption = new(string.Empty, null, null, ReadOnlyMemory<byte>.Empty);

    /// <summary>Receives the provider's credit for the client's items (client and duplex streams), on the transport's thread.</summary>
    public Action<long>? OnCredit { get; set; }

    /// <summary>Wakes the reader with <see cref="Interruption"/> (the client's input failed).</summary>
    public void Interrupt() => _messages.Writer.TryWrite(Interruption);

    private ValueTask OnMessageAsync(TransportMessage message)
    {
        Volatile.Write(ref _lastHeard, time.GetTimestamp());
        if (message.Headers?[StreamingProtocol.AckHeader] is { } ack)
        {
            // Credit for the client's items (alone, or on a heartbeat): the pump takes it; the reader need not see it.
            if (StreamingProtocol.TryParse(ack, out long granted))
            {
                OnCredit?.Invoke(granted);
            }

            return default;
        }

        _messages.Writer.TryWrite(message);
        return default;
    }

    public async ValueTask DisposeAsync()
    {
        _messages.Writer.TryComplete();
        var subscription = Interlocked.Exchange(ref _subscription, null);
        if (subscription is not null)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
    }
}
