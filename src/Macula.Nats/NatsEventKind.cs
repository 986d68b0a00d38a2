namespace Macula.Nats;

/// <summary>What happened to a NATS connection; see <see cref="NatsEvent"/>.</summary>
public enum NatsEventKind
{
    /// <summary>The first connection was established.</summary>
    Connected = 1,

    /// <summary>The connection was lost; the client is reconnecting.</summary>
    Disconnected = 2,

    /// <summary>The client connected again after a loss; NATS.Client.Core restored the subscriptions.</summary>
    Reconnected = 3,

    /// <summary>An attempt to connect to one server failed.</summary>
    ConnectFailed = 4,

    /// <summary>The server sent <c>-ERR</c> (for example a permissions violation, or an authorization error).</summary>
    ServerError = 6,

    /// <summary>A subscription's handler fell so far behind that its pending messages filled up; messages are being dropped.</summary>
    SlowConsumer = 7,

    /// <summary>A subscription's handler threw; delivery goes on with the next message.</summary>
    HandlerFailed = 8,

    /// <summary>The cluster announced servers that were added to the list to reconnect to.</summary>
    ServersDiscovered = 9,

    /// <summary>The server is shutting down gracefully (lame duck mode); the client will move when it closes.</summary>
    LameDuckMode = 10,

    /// <summary>The client closed, because it was disposed or gave up reconnecting.</summary>
    Closed = 11,

    /// <summary>
    /// A coalesced batch (docs/wire-protocol.md, "Coalesced calls") was dropped: it was malformed, or the batch of
    /// replies could not be sent.
    /// </summary>
    BadBatch = 14,

    /// <summary>A message was dropped: its subscription's pending messages were full (see <see cref="SlowConsumer"/>), or its headers were malformed.</summary>
    MessageDropped = 13,
}
