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

/// <summary>
/// A DHT request; <see cref="Sender"/> is the node that sent it. <see cref="Nonce"/> is fresh per request: the reply's
/// proof signs it, so a recorded reply cannot answer another request.
/// </summary>
internal abstract record DhtRequest(DhtContact Sender)
{
    /// <summary>The bytes of a nonce.</summary>
    public const int NonceSize = 16;

    public abstract DhtOp Op { get; }

    /// <summary>Random bytes the answering node signs in its proof.</summary>
    public byte[] Nonce { get; init; } = NewNonce();

    /// <summary>
    /// Whether the sender runs the DHT in client mode: it only asks, never answers, so it is not a contact to keep
    /// (docs/dht.md#client-mode).
    /// </summary>
    public bool FromClient { get; init; }

    public static byte[] NewNonce() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(NonceSize);
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

internal sealed record StoreRequest(DhtContact Sender, DhtId Key, IReadOnlyList<SignedRecord> Records) : DhtRequest(Sender)
{
    public override DhtOp Op => DhtOp.Store;
}

/// <summary>Withdraws a provider of <paramref name="Key"/>: the withdrawal, signed by the provider itself.</summary>
internal sealed record DeleteRequest(DhtContact Sender, DhtId Key, Tombstone Withdrawal) : DhtRequest(Sender)
{
    public override DhtOp Op => DhtOp.Delete;
}

/// <summary>A DHT reply; <see cref="Sender"/> is the node that answered.</summary>
internal abstract record DhtResponse(DhtContact Sender)
{
    public abstract DhtOp Op { get; }

    /// <summary>
    /// The answering node's proof that it holds the key it claims: its signature over the request's nonce and its
    /// node id. A reply without a valid proof is dropped, and only nodes that proved their key enter routing tables.
    /// </summary>
    public Seal? Proof { get; init; }

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
internal sealed record ValueResponse(DhtContact Sender, IReadOnlyList<DhtContact> Contacts, IReadOnlyList<SignedRecord> Records, IReadOnlyList<Tombstone> Tombstones) : DhtResponse(Sender)
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
/// so any record of it advertised at or before that time is dead, wherever it turns up again. Signed by the
/// provider (<paramref name="Seal"/>), so only a record's owner can withdraw it.
/// </summary>
internal sealed record Tombstone(string NodeId, DateTimeOffset WithdrawnAt, Seal Seal);

/// <summary>
/// Who signed something and how: the signer's raw Ed25519 public key, the signature, and the certificate that binds
/// a chosen node id to the key (or <see langword="null"/>). See docs/security.md.
/// </summary>
internal sealed record Seal(byte[] PublicKey, byte[] Signature, string? Certificate)
{
    /// <summary>The public key as a NATS nkey (<c>U...</c>), for logs and tools.</summary>
    public string PublicKeyText => Security.NKeyText.EncodePublic(Security.NKeyText.NodePrefix, PublicKey);
}

/// <summary>A provider record with its owner's seal; replicas store and return it as signed.</summary>
internal sealed record SignedRecord(ProviderRecord Record, Seal Seal)
{
    public string NodeId => Record.NodeId;

    public string Subject => Record.Subject;

    public IReadOnlyDictionary<string, string> Metadata => Record.Metadata;

    public TimeSpan Ttl => Record.Ttl;

    public DateTimeOffset AdvertisedAt => Record.AdvertisedAt;
}
