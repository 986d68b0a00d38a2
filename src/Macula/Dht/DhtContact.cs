namespace Macula.Dht;

/// <summary>
/// A DHT node as others know it: its string node id (which names its subject) and the 256-bit id derived from it.
/// Only the string travels on the wire; the id is always recomputed, so a peer cannot place itself at an id of its
/// choosing without also choosing the name that hashes to it.
/// </summary>
internal sealed class DhtContact : IEquatable<DhtContact>
{
    public DhtContact(string nodeId)
        : this(nodeId, NodeIdCache.Get(nodeId))
    {
    }

    public DhtContact(string nodeId, DhtId id)
    {
        NodeId = nodeId;
        Id = id;
    }

    /// <summary>The node's string id, as in <c>macula.&lt;realm&gt;.dht.&lt;nodeId&gt;</c>.</summary>
    public string NodeId { get; }

    /// <summary>SHA-256 of <see cref="NodeId"/>.</summary>
    public DhtId Id { get; }

    public bool Equals(DhtContact? other) => other is not null && Id == other.Id;

    public override bool Equals(object? obj) => obj is DhtContact other && Equals(other);

    public override int GetHashCode() => Id.GetHashCode();

    public override string ToString() => NodeId;
}

/// <summary>
/// Remembers the SHA-256 of node ids seen lately: every reply carries up to K contacts and hashing each one again
/// cost more than the rest of decoding the reply. Bounded: it starts over when full.
/// </summary>
internal static class NodeIdCache
{
    private const int Capacity = 1 << 16;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, DhtId> Ids = new(StringComparer.Ordinal);

    public static DhtId Get(string nodeId)
    {
        if (Ids.TryGetValue(nodeId, out var id))
        {
            return id;
        }

        id = DhtId.ForNode(nodeId);
        if (Ids.Count >= Capacity)
        {
            Ids.Clear();
        }

        Ids.TryAdd(nodeId, id);
        return id;
    }
}
