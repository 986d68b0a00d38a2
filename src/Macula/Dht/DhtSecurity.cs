using System.Collections.Concurrent;
using System.Security.Cryptography;
using Macula.Discovery;
using Macula.Security;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula.Dht;

/// <summary>
/// What one DHT node signs and checks: its own provider records, withdrawals and reply proofs, and everyone else's
/// before it stores, returns or acts on them. The rules are those of docs/security.md:
/// <list type="bullet">
/// <item>the signature is valid over the canonical bytes, with a context per purpose and the realm inside;</item>
/// <item>the trust policy accepts the signer for the node id (derived from its key, certified, or trusted);</item>
/// <item>a record's subject is its own node's RPC subject for the service whose key it is stored under;</item>
/// <item>no timestamp is more than <see cref="TrustOptions.MaxClockSkew"/> ahead of this node's clock.</item>
/// </list>
/// Signed bytes are canonical MessagePack (smallest encodings, metadata sorted by ordinal key, times in unix
/// milliseconds), so any implementation can rebuild them from the fields it received.
/// </summary>
internal sealed class DhtSecurity
{
    private const int VerifiedCacheSize = 16_384;

    private static readonly byte[] RecordContext = "macula/record/v1\0"u8.ToArray();
    private static readonly byte[] WithdrawContext = "macula/withdraw/v1\0"u8.ToArray();
    private static readonly byte[] ProofContext = "macula/dht-reply/v1\0"u8.ToArray();
    private static readonly byte[] AnnouncementContext = "macula/announce/v1\0"u8.ToArray();

    private readonly NodeIdentity _identity;
    private readonly byte[] _publicKey;
    private readonly string? _certificate;
    private readonly TrustPolicy _policy;

    // Hashes of (signed bytes, key, signature) already verified: the same record arrives from up to K replicas in
    // one lookup, and verifying it once is enough. Bounded: it starts over when full.
    private readonly ConcurrentDictionary<Hash, byte> _verified = new();

    public DhtSecurity(string realm, NodeIdentity identity, string? certificate, TrustPolicy policy)
    {
        Realm = realm;
        _identity = identity;
        _publicKey = identity.PublicKeyBytes.ToArray();
        _certificate = certificate;
        _policy = policy;
    }

    public string Realm { get; }

    public TrustMode Mode => _policy.Mode;

    /// <summary>Signature checks and rejections, for the DHT's statistics.</summary>
    public DhtSecurityStatistics Stats { get; } = new();

    /// <summary>An open-mode policy with a fresh identity: for tests and simulations whose nodes pick their own names.</summary>
    public static DhtSecurity Open(string realm, NodeIdentity? identity = null) =>
        new(realm, identity ?? NodeIdentity.Create(), null, new TrustPolicy(TrustOptions.Default, realm));

    /// <summary>Signs this node's own provider record for <paramref name="key"/>.</summary>
    public SignedRecord Sign(DhtId key, ProviderRecord record)
    {
        record = record with { AdvertisedAt = TruncateToMilliseconds(record.AdvertisedAt), PublicKey = _identity.PublicKey };
        using var buffer = new PooledBufferWriter(256);
        WriteRecordBytes(buffer, key, record);
        return new SignedRecord(record, NewSeal(RecordContext, buffer.WrittenSpan));
    }

    /// <summary>Signs this node's withdrawal of <paramref name="nodeId"/> from <paramref name="key"/>.</summary>
    public Tombstone SignWithdrawal(DhtId key, string nodeId, DateTimeOffset withdrawnAt)
    {
        withdrawnAt = TruncateToMilliseconds(withdrawnAt);
        using var buffer = new PooledBufferWriter(128);
        WriteWithdrawalBytes(buffer, key, nodeId, withdrawnAt);
        return new Tombstone(nodeId, withdrawnAt, NewSeal(WithdrawContext, buffer.WrittenSpan));
    }

    /// <summary>This node's proof for a reply to a request with <paramref name="nonce"/>.</summary>
    public Seal Prove(string nodeId, ReadOnlySpan<byte> nonce)
    {
        using var buffer = new PooledBufferWriter(128);
        WriteProofBytes(buffer, nodeId, nonce);
        return NewSeal(ProofContext, buffer.WrittenSpan);
    }

    /// <summary>Signs this node's announcement that it joined (or is leaving) as a provider of <paramref name="service"/>.</summary>
    public Seal SignAnnouncement(string service, int op, string nodeId, DateTimeOffset at)
    {
        using var buffer = new PooledBufferWriter(128);
        WriteAnnouncementBytes(buffer, service, op, nodeId, at);
        return NewSeal(AnnouncementContext, buffer.WrittenSpan);
    }

    /// <summary>
    /// Checks an announcement: signed, its signer accepted for the node id, and dated within the clock skew of now
    /// either way (so a recorded announcement cannot be replayed later).
    /// </summary>
    public TrustVerdict CheckAnnouncement(string service, int op, string nodeId, DateTimeOffset at, Seal seal, DateTimeOffset now)
    {
        if ((at - now).Duration() > _policy.MaxClockSkew)
        {
            return Refuse($"announcement of '{Quote(nodeId)}' is dated {Seconds(at - now)} s from now");
        }

        using var buffer = new PooledBufferWriter(128);
        WriteAnnouncementBytes(buffer, service, op, nodeId, at);
        return CheckSeal(AnnouncementContext, buffer.WrittenSpan, nodeId, seal, now, "announcement", cache: false);
    }

    /// <summary>Checks someone's provider record stored under <paramref name="key"/>.</summary>
    public TrustVerdict Check(DhtId key, SignedRecord signed, DateTimeOffset now)
    {
        var record = signed.Record;
        if (record.AdvertisedAt > now + _policy.MaxClockSkew)
        {
            return Refuse($"record of '{Quote(record.NodeId)}' is advertised {Seconds(record.AdvertisedAt - now)} s in the future");
        }

        if (record.AdvertisedAt != TruncateToMilliseconds(record.AdvertisedAt))
        {
            return Refuse($"record of '{Quote(record.NodeId)}' has a time finer than a millisecond (not canonical)");
        }

        if (!Subjects.TryParseRpc(record.Subject, Realm, out string service, out string subjectNode) ||
            !string.Equals(subjectNode, record.NodeId, StringComparison.Ordinal) || DhtId.ForService(service) != key)
        {
            return Refuse($"record of '{Quote(record.NodeId)}' names the subject '{Quote(record.Subject)}', not its own for this service");
        }

        using var buffer = new PooledBufferWriter(256);
        WriteRecordBytes(buffer, key, record);
        return CheckSeal(RecordContext, buffer.WrittenSpan, record.NodeId, signed.Seal, now, "record");
    }

    /// <summary>Checks someone's withdrawal from <paramref name="key"/>.</summary>
    public TrustVerdict Check(DhtId key, Tombstone withdrawal, DateTimeOffset now)
    {
        if (withdrawal.WithdrawnAt > now + _policy.MaxClockSkew)
        {
            return Refuse($"withdrawal of '{Quote(withdrawal.NodeId)}' is dated {Seconds(withdrawal.WithdrawnAt - now)} s in the future");
        }

        if (withdrawal.WithdrawnAt != TruncateToMilliseconds(withdrawal.WithdrawnAt))
        {
            return Refuse($"withdrawal of '{Quote(withdrawal.NodeId)}' has a time finer than a millisecond (not canonical)");
        }

        using var buffer = new PooledBufferWriter(128);
        WriteWithdrawalBytes(buffer, key, withdrawal.NodeId, withdrawal.WithdrawnAt);
        return CheckSeal(WithdrawContext, buffer.WrittenSpan, withdrawal.NodeId, withdrawal.Seal, now, "withdrawal");
    }

    /// <summary>Checks the proof of a reply from <paramref name="responder"/> to a request with <paramref name="nonce"/>.</summary>
    public TrustVerdict CheckProof(string responder, ReadOnlySpan<byte> nonce, Seal? proof, DateTimeOffset now)
    {
        if (proof is null)
        {
            return Refuse($"reply of '{Quote(responder)}' has no proof");
        }

        using var buffer = new PooledBufferWriter(128);
        WriteProofBytes(buffer, responder, nonce);
        // Proofs are never cached: each nonce is new.
        return CheckSeal(ProofContext, buffer.WrittenSpan, responder, proof, now, "reply", cache: false);
    }

    private TrustVerdict CheckSeal(byte[] context, ReadOnlySpan<byte> message, string nodeId, Seal seal, DateTimeOffset now, string what, bool cache = true)
    {
        Stats.Checked();
        var verdict = _policy.Evaluate(nodeId, seal.PublicKey, seal.Certificate, now);
        if (!verdict.Accepted)
        {
            return Refuse($"{what} of '{Quote(nodeId)}': {verdict.Reason}");
        }

        Hash hash = default;
        if (cache)
        {
            hash = Hash.Of(message, seal);
            if (_verified.ContainsKey(hash))
            {
                return verdict;
            }
        }

        Stats.Verified();
        if (!Signing.Verify(seal.PublicKey, context, message, seal.Signature))
        {
            return Refuse($"{what} of '{Quote(nodeId)}' has a signature that is not its key's");
        }

        if (cache)
        {
            if (_verified.Count >= VerifiedCacheSize)
            {
                _verified.Clear();
            }

            _verified.TryAdd(hash, 0);
        }

        return verdict;
    }

    private TrustVerdict Refuse(string reason)
    {
        Stats.Rejected();
        return TrustVerdict.Refuse(reason);
    }

    private Seal NewSeal(byte[] context, ReadOnlySpan<byte> message)
    {
        byte[] signature = new byte[Signing.SignatureSize];
        _identity.Sign(context, message, signature);
        return new Seal(_publicKey, signature, _certificate);
    }

    private void WriteRecordBytes(PooledBufferWriter buffer, DhtId key, ProviderRecord record)
    {
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(7);
        w.Write(Realm);
        WriteKey(ref w, key);
        w.Write(record.NodeId);
        w.Write(record.Subject);
        var names = new string[record.Metadata.Count];
        int n = 0;
        foreach (var name in record.Metadata.Keys)
        {
            names[n++] = name;
        }

        Array.Sort(names, StringComparer.Ordinal);
        w.WriteMapHeader(names.Length);
        foreach (string name in names)
        {
            w.Write(name);
            w.Write(record.Metadata[name]);
        }

        w.Write((long)record.Ttl.TotalMilliseconds);
        w.Write(record.AdvertisedAt.ToUnixTimeMilliseconds());
        w.Flush();
    }

    private void WriteWithdrawalBytes(PooledBufferWriter buffer, DhtId key, string nodeId, DateTimeOffset withdrawnAt)
    {
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(4);
        w.Write(Realm);
        WriteKey(ref w, key);
        w.Write(nodeId);
        w.Write(withdrawnAt.ToUnixTimeMilliseconds());
        w.Flush();
    }

    private void WriteProofBytes(PooledBufferWriter buffer, string nodeId, ReadOnlySpan<byte> nonce)
    {
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(3);
        w.Write(Realm);
        w.Write(nonce);
        w.Write(nodeId);
        w.Flush();
    }

    private void WriteAnnouncementBytes(PooledBufferWriter buffer, string service, int op, string nodeId, DateTimeOffset at)
    {
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(5);
        w.Write(Realm);
        w.Write(service);
        w.Write(op);
        w.Write(nodeId);
        w.Write(at.ToUnixTimeMilliseconds());
        w.Flush();
    }

    private static void WriteKey(ref MessagePackWriter w, DhtId key)
    {
        w.WriteBinHeader(DhtId.Bytes);
        key.WriteTo(w.GetSpan(DhtId.Bytes));
        w.Advance(DhtId.Bytes);
    }

    internal static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    private static long Seconds(TimeSpan span) => (long)span.TotalSeconds;

    /// <summary>Quotes text from the wire in a log line: at most 64 characters.</summary>
    internal static string Quote(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");

    private readonly record struct Hash(long A, long B, long C, long D)
    {
        public static Hash Of(ReadOnlySpan<byte> message, Seal seal)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(message);
            sha.AppendData(seal.PublicKey);
            sha.AppendData(seal.Signature);
            Span<byte> digest = stackalloc byte[32];
            sha.GetHashAndReset(digest);
            return new Hash(BitConverter.ToInt64(digest), BitConverter.ToInt64(digest[8..]), BitConverter.ToInt64(digest[16..]), BitConverter.ToInt64(digest[24..]));
        }
    }
}

/// <summary>Counters of the DHT's signature work.</summary>
internal sealed class DhtSecurityStatistics
{
    private long _checked;
    private long _verified;
    private long _rejected;

    /// <summary>Records, withdrawals and proofs checked.</summary>
    public long Checks => Interlocked.Read(ref _checked);

    /// <summary>Signatures verified (checks that missed the cache of signatures verified before).</summary>
    public long Verifications => Interlocked.Read(ref _verified);

    /// <summary>Records, withdrawals and proofs refused.</summary>
    public long Rejections => Interlocked.Read(ref _rejected);

    public void Checked() => Interlocked.Increment(ref _checked);

    public void Verified() => Interlocked.Increment(ref _verified);

    public void Rejected() => Interlocked.Increment(ref _rejected);
}
