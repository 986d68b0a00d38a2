namespace Macula.Transport;

/// <summary>
/// Handles one message of a subscription. Messages of one subscription are delivered in order: the transport awaits
/// the handler before it delivers the next one, so a handler that does long work should start it and return. A
/// handler that throws does not stop its subscription: delivery goes on with the next message.
/// </summary>
public delegate ValueTask MessageHandler(TransportMessage message);

/// <summary>
/// What a Macula node needs from a message bus: publish, subscribe (with NATS wildcards <c>*</c> and <c>&gt;</c>)
/// and request/reply with headers. Implemented in-process by <see cref="InMemoryTransport"/> and over NATS by
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
    /// throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is malformed or has a wildcard.</exception>
    ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken = default);
}

/// <summary>One message received from a transport. The payload belongs to the message: a handler may keep it.</summary>
/// <param name="Subject">The subject the message was published to.</param>
/// <param name="ReplyTo">The subject to reply to, or <see langword="null"/>.</param>
/// <param name="Headers">
/// The headers, or <see langword="null"/> when none were sent. Names keep their case and each name's values their
/// order; a name added again after another name may arrive next to its first value (NATS.Client.Core groups values by name).
/// </param>
/// <param name="Payload">The body.</param>
public sealed record TransportMessage(string Subject, string? ReplyTo, MaculaHeaders? Headers, ReadOnlyMemory<byte> Payload);

/// <summary>Why a transport operation failed.</summary>
public enum TransportErrorKind
{
    /// <summary>Nobody is subscribed to the request's subject (NATS status 503). The request was not delivered.</summary>
    NoResponders = 1,

    /// <summary>No reply came within the timeout. The request may have been delivered.</summary>
    Timeout = 2,

    /// <summary>The connection dropped while the request was in flight. The request may have been delivered.</summary>
    ConnectionLost = 3,

    /// <summary>The message could not be sent (not connected, or the connection did not come back in time). It was not delivered.</summary>
    NotSent = 4,

    /// <summary>The payload is larger than the server allows. It was not sent.</summary>
    PayloadTooLarge = 5,

    /// <summary>
    /// The transport has been disposed (or gave up reconnecting). An operation started after it was not sent; a request
    /// that was already waiting for its reply may have been delivered (<see cref="MaculaTransportException.NotDelivered"/> says which).
    /// </summary>
    Closed = 6,

    /// <summary>The server refused the connection or the credentials.</summary>
    ConnectionRefused = 7,

    /// <summary>The peer broke the protocol.</summary>
    ProtocolError = 8,
}

/// <summary>A transport operation failed; <see cref="Kind"/> and <see cref="NotDelivered"/> tell the RPC layer whether the message was delivered.</summary>
public sealed class MaculaTransportException : Exception
{
    /// <summary>Creates the exception; <see cref="NotDelivered"/> follows from <paramref name="kind"/>.</summary>
    public MaculaTransportException(TransportErrorKind kind, string message, Exception? innerException = null)
        : this(kind, message, kind is TransportErrorKind.NoResponders or TransportErrorKind.NotSent or TransportErrorKind.PayloadTooLarge or TransportErrorKind.Closed, innerException)
    {
    }

    /// <summary>
    /// Creates the exception, saying whether the message provably never reached a subscriber: for example a request
    /// that was waiting for its reply when its transport closed fails with <see cref="TransportErrorKind.Closed"/> but
    /// may have been delivered.
    /// </summary>
    public MaculaTransportException(TransportErrorKind kind, string message, bool notDelivered, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        NotDelivered = notDelivered;
    }

    /// <summary>What went wrong.</summary>
    public TransportErrorKind Kind { get; }

    /// <summary>
    /// Whether the message provably never reached a subscriber. By default true for <see cref="TransportErrorKind.NoResponders"/>,
    /// <see cref="TransportErrorKind.NotSent"/>, <see cref="TransportErrorKind.PayloadTooLarge"/> and
    /// <see cref="TransportErrorKind.Closed"/>, false for the others; false for a request that was waiting for its reply
    /// when its transport closed.
    /// </summary>
    public bool NotDelivered { get; }
}
