namespace Macula.Transport;

/// <summary>
/// What a Macula node needs from a message bus: publish, subscribe (with NATS wildcards <c>*</c> and <c>&gt;</c>)
/// and request/reply with headers. Implemented in-process by <see cref="InMemory.InMemoryTransport"/> and over NATS by
/// <c>Macula.Nats.NatsTransport</c>; <c>tests/Conformance</c> checks every rule stated here against both.
/// </summary>
/// <remarks>
/// Subjects are dot-separated tokens without whitespace; a malformed one is refused with <see cref="ArgumentException"/>
/// before anything is sent. Messages from one transport reach a subscription in the order they were published, a
/// transport's own included. Disposing the transport ends its subscriptions and fails its waiting requests with
/// <see cref="TransportErrorKind.Closed"/>; what it published before is still delivered, and every operation after
/// fails with <see cref="TransportErrorKind.Closed"/>.
/// </remarks>
public interface IMaculaTransport : IAsyncDisposable
{
    /// <summary>The largest message this transport accepts, in bytes: the payload and the headers together, counted as NATS writes them.</summary>
    int MaxPayload { get; }

    /// <summary>Connects; a no-op when already connected.</summary>
    ValueTask ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes one message. The transport has copied the payload and the headers when the returned task completes:
    /// changing them afterwards does not change the message.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is malformed or has a wildcard.</exception>
    /// <exception cref="MaculaTransportException">Not sent: payload and headers over <see cref="MaxPayload"/> (<see cref="TransportErrorKind.PayloadTooLarge"/>, naming both sizes), closed, or disconnected for longer than the transport waits.</exception>
    ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, string? replyTo = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes <paramref name="handler"/> to <paramref name="subject"/> (wildcards allowed). The subscription is live
    /// when this returns: a message published afterwards, by any transport, reaches it. With a
    /// <paramref name="queueGroup"/>, each message goes to one member of the group (the group is its name, whatever
    /// subjects its members subscribed with); every group and every subscriber without a group gets its own copy.
    /// Dispose the result to unsubscribe: that returns once the handler has been handed every message that reached
    /// the subscription before the unsubscribe took effect, so a request routed to it is answered, not dropped; nothing
    /// arrives after. A handler may dispose its own subscription (that does not wait for itself).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is malformed.</exception>
    ValueTask<IAsyncDisposable> SubscribeAsync(string subject, MessageHandler handler, string? queueGroup = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a request and waits for the first reply, which the responder publishes to the request's
    /// <see cref="TransportMessage.ReplyTo"/>. Fails with <see cref="MaculaTransportException"/> of kind
    /// <see cref="TransportErrorKind.NoResponders"/> at once when nobody listens, <see cref="TransportErrorKind.Timeout"/>
    /// after <paramref name="timeout"/>, and <see cref="TransportErrorKind.ConnectionLost"/> at once when the connection
    /// drops while the request is in flight; each names the subject. Cancelling <paramref name="cancellationToken"/>
    /// throws <see cref="OperationCanceledException"/>. As for <see cref="PublishAsync"/>, the transport is done with
    /// the payload and the headers when the returned task completes: callers reuse both afterwards.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is malformed or has a wildcard.</exception>
    ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken = default);
}
