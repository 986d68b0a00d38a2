namespace Macula.Transport;

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
