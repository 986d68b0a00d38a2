namespace Macula.Transport;

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
