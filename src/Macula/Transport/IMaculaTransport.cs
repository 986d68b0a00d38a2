namespace Macula.Transport;

/// <summary>
/// Handles one message of a subscription. Messages of one subscription are delivered in order: the transport awaits
/// the handler before it delivers the next one, so a handler that does long work should start it and return.
/// </summary>
public delegate ValueTask MessageHandler(TransportMessage message);

/// <summary>
/// What a Macula node needs from a message bus: publish, subscribe (with NATS wildcards <c>*</c> and <c>&gt;</c>)
/// and request/reply with headers. Implemented in-process by <see cref="InMemoryTransport"/> and over NATS by
/// <c>Macula.Nats.NatsTransport</c>.
/// </summary>
public interface IMaculaTransport : IAsyncDisposable
{
    /// <summary>The largest payload this transport accepts, in bytes.</summary>
    int MaxPayload { get; }

    /// <summary>Connects; a no-op when already connected.</summary>
    ValueTask ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Publishes one message.</summary>
    /// <exception cref="MaculaTransportException">Not sent (payload too large, closed, or disconnected for longer than the transport waits).</exception>
    ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, string? replyTo = null, CancellationToken cancellationToken = default);

    /// <summary>Subscribes <paramref name="handler"/> to <paramref name="subject"/>; dispose the result to unsubscribe.</summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string subject, MessageHandler handler, string? queueGroup = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a request and waits for the first reply. Fails with <see cref="MaculaTransportException"/> of kind
    /// <see cref="TransportErrorKind.NoResponders"/> at once when nobody listens, <see cref="TransportErrorKind.Timeout"/>
    /// after <paramref name="timeout"/>, and <see cref="TransportErrorKind.ConnectionLost"/> at once when the connection
    /// drops while the request is in flight.
    /// </summary>
    ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken = default);
}

/// <summary>One message received from a transport. The payload belongs to the message: a handler may keep it.</summary>
/// <param name="Subject">The subject the message was published to.</param>
/// <param name="ReplyTo">The subject to reply to, or <see langword="null"/>.</param>
/// <param name="Headers">The headers, or <see langword="null"/> when there are none.</param>
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

    /// <summary>The transport has been disposed.</summary>
    Closed = 6,

    /// <summary>The server refused the connection or the credentials.</summary>
    ConnectionRefused = 7,

    /// <summary>The peer broke the protocol.</summary>
    ProtocolError = 8,
}

/// <summary>A transport operation failed; <see cref="Kind"/> tells the RPC layer whether the message was delivered.</summary>
public sealed class MaculaTransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MaculaTransportException(TransportErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What went wrong.</summary>
    public TransportErrorKind Kind { get; }

    /// <summary>Whether the message provably never reached a subscriber.</summary>
    public bool NotDelivered => Kind is TransportErrorKind.NoResponders or TransportErrorKind.NotSent or TransportErrorKind.PayloadTooLarge or TransportErrorKind.Closed;
}
