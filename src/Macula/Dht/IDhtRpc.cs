namespace Macula.Dht;

/// <summary>
/// How a <see cref="DhtNode"/> reaches its peers. Over a real mesh it is <see cref="DhtTransportBinding"/>
/// (MessagePack over <see cref="Transport.IMaculaTransport"/>); a simulation may call the peer's node directly,
/// so that the same lookup and storage code runs at sizes a message bus could not carry in one process.
/// </summary>
internal interface IDhtRpc
{
    /// <summary>Sends <paramref name="request"/> to <paramref name="target"/> and returns its reply.</summary>
    /// <exception cref="DhtRpcException">No usable reply.</exception>
    ValueTask<DhtResponse> SendAsync(DhtContact target, DhtRequest request, CancellationToken cancellationToken);
}

/// <summary>Why a DHT request got no usable reply.</summary>
internal enum DhtRpcFailure
{
    /// <summary>Nobody listens for the peer: it is gone.</summary>
    Unreachable,

    /// <summary>No reply in time: the peer may be slow, partitioned or dead.</summary>
    Timeout,

    /// <summary>The peer answered something that is not a valid reply.</summary>
    BadReply,

    /// <summary>This node could not send (its transport is closed or the message too large): not the peer's fault.</summary>
    Local,
}

/// <summary>A DHT request got no usable reply.</summary>
internal sealed class DhtRpcException : Exception
{
    public DhtRpcException(DhtRpcFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public DhtRpcFailure Failure { get; }
}
