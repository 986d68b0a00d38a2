using System.Buffers;
using System.Threading.Channels;
using Macula.Nats.Protocol;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats.Subscriptions;

/// <summary>
/// A NATS subscription that makes each message a <see cref="TransportMessage"/> straight from the socket reader's
/// buffers: headers read by <see cref="RawHeaderParser"/> (no <see cref="NatsHeaders"/> dictionary, Macula's header
/// names not made again per message), the payload copied once. Otherwise as NATS.Client.Core's own
/// <c>NatsSub&lt;T&gt;</c>: a bounded channel by the connection's options, full-channel drops reported through
/// <see cref="INatsConnection.OnMessageDropped{T}"/> (so the connection's slow-consumer and dropped-message events
/// fire as before), drained and unsubscribed by <see cref="NatsSubBase"/>.
/// </summary>
internal sealed class RawSubscription : NatsSubBase
{
    private readonly Channel<TransportMessage> _messages;
    private readonly System.Text.Encoding _headerEncoding;
    private readonly NatsTransport _owner;

    public RawSubscription(INatsConnection connection, string subject, string? queueGroup, NatsTransport owner)
        : base(connection, connection.SubscriptionManager, subject, queueGroup, opts: null)
    {
        _owner = owner;
        _headerEncoding = connection.Opts.HeaderEncoding;
        _messages = Channel.CreateBounded<TransportMessage>(connection.GetBoundedChannelOpts(null), Dropped);
    }

    /// <summary>The messages, in the order the server sent them; completed when the subscription ends.</summary>
    public ChannelReader<TransportMessage> Messages => _messages.Reader;

    protected override async ValueTask ReceiveInternalAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer)
    {
        MaculaHeaders? headers = null;
        if (headersBuffer is { } block)
        {
            try
            {
                headers = RawHeaderParser.Parse(block, _headerEncoding, out _);
            }
            catch (FormatException ex)
            {
                // Untrusted bytes: the message is dropped, the subscription goes on.
                _owner.Report(NatsEventKind.MessageDropped, $"A message on '{subject}' was dropped: its headers are malformed ({ex.Message}).", ex);
                return;
            }
        }

        await _messages.Writer.WriteAsync(new TransportMessage(subject, replyTo, headers, payloadBuffer.ToArray())).ConfigureAwait(false);
        ResetSlowConsumer(_messages.Reader.Count);
        DecrementMaxMsgs();
    }

    protected override void TryComplete() => _messages.Writer.TryComplete();

    private void Dropped(TransportMessage message) =>
        Connection.OnMessageDropped(this, _messages?.Reader.Count ?? 0, new NatsMsg<byte[]>(message.Subject, message.ReplyTo, message.Payload.Length, null, message.Payload.ToArray(), Connection));
}
