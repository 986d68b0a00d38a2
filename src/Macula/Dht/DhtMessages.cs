using Macula.Discovery;

namespace Macula.Dht;

/// <summary>The operation codes of DHT messages (the second element of every message on the wire).</summary>
internal enum DhtOp
{
    Ping = 1,
    FindNode = 2,
    FindValue = 3,
    Store = 4,
    Delete = 5,

    // A reply carries its request's code plus 16.
    Pong = 17,
    Nodes = 18,
    Value = 19,
    Stored = 20,
    Deleted = 21,
}

/// <summary>A DHT request; <see cref="Sender"/> is the node that sent it.</summary>
internal abstract record DhtRequest(DhtContact Sender)
{
    public abstract DhtOp Op { get; }
}

internal sealed record PingRequest(DhtContact Sender) : DhtRequest(Sender)
{
    public override DhtOp Op => DhtOp.Ping;
}

internal sealed record FindNodeRequest(DhtContact Sender, DhtId Target) : DhtRequest(Sender)
{
    public override DhtOp Op => DhtOp.FindNode;
}

internal sealed record FindValueRequest(DhtContact Sender, DhtId Key) : DhtRequest(Sender)
{
    public override DhtOp Op => DhtOp.FindValue;
}

internal sealed record StoreRequest(DhtContact Sender, DhtId Key, IReadOnlyList<ProviderRecord> Records) : DhtRequest(Sender)
{
    public override DhtOp Op => DhtOp.Store;
}

/// <summary>Withdraws provider <paramref name="NodeId"/> of <paramref name="Key"/> as of <paramref name="WithdrawnAt"/>.</summary>
internal sealed record DeleteRequest(DhtContact Sender, DhtId Key, string NodeId, DateTimeOffset WithdrawnAt) : DhtRequest(Sender)
{
    public override DhtOp Op => DhtOp.Delete;
}

/// <summary>A DHT reply; <see cref="Sender"/> is the node that answered.</summary>
internal abstract record DhtResponse(DhtContact Sender)
{
    public abstract DhtOp Op { get; }

    /// <summary>The reply code that answers <paramref name="request"/>.</summary>
    public static DhtOp ReplyTo(DhtOp request) => request + 16;
}

internal sealed record PongResponse(DhtContact Sender) : DhtResponse(Sender)
{
    public override DhtOp Op => DhtOp.Pong;
}

internal sealed record NodesResponse(DhtContact Sender, IReadOnlyList<DhtContact> Contacts) : DhtResponse(Sender)
{
    public override DhtOp Op => DhtOp.Nodes;
}

/// <summary>The reply to FIND_VALUE: the closest contacts the node knows, the records it holds and its withdrawal markers.</summary>
internal sealed record ValueResponse(DhtContact Sender, IReadOnlyList<DhtContact> Contacts, IReadOnlyList<ProviderRecord> Records, IReadOnlyList<Tombstone> Tombstones) : DhtResponse(Sender)
{
    public override DhtOp Op => DhtOp.Value;
}

internal sealed record StoredResponse(DhtContact Sender, int Accepted) : DhtResponse(Sender)
{
    public override DhtOp Op => DhtOp.Stored;
}

internal sealed record DeletedResponse(DhtContact Sender, bool Removed) : DhtResponse(Sender)
{
    public override DhtOp Op => DhtOp.Deleted;
}

/// <summary>
/// The mark a DELETE leaves: provider <paramref name="NodeId"/> was withdrawn at <paramref name="WithdrawnAt"/>,
/// so any record of it advertised at or before that time is dead, wherever it turns up again.
/// </summary>
internal readonly record struct Tombstone(string NodeId, DateTimeOffset WithdrawnAt);
