using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Rpc.Streaming;

/// <summary>The subscription that receives one attempt's items, heartbeats and end, and when it last heard anything.</summary>
internal sealed class StreamInbox(TimeProvider time, string subject) : IAsyncDisposable
{
    private readonly Channel<TransportMessage> _messages = Channel.CreateUnbounded<TransportMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private IAsyncDisposable? _subscription;
    private long _lastHeard = time.GetTimestamp();

    public string Subject { get; } = subject;

    public ChannelReader<TransportMessage> Reader => _messages.Reader;

    public long LastHeard => Volatile.Read(ref _lastHeard);

    public async ValueTask SubscribeAsync(IMaculaTransport transport, CancellationToken cancellationToken) =>
        _subscription = await transport.SubscribeAsync(Subject, OnMessageAsync, cancellationToken: cancellationToken).ConfigureAwait(false);

    private ValueTask OnMessageAsync(TransportMessage message)
    {
        Volatile.Write(ref _lastHeard, time.GetTimestamp());
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
