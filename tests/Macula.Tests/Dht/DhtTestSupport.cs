using Macula.Dht;
using Macula.Discovery;

namespace Macula.Tests.Dht;

/// <summary>A clock that moves only when told to, so TTL expiry is tested without sleeping.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks;

    public ManualTimeProvider(DateTimeOffset start) => _ticks = start.UtcTicks;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>An <see cref="IDhtRpc"/> whose answers a test scripts.</summary>
internal sealed class ScriptedRpc : IDhtRpc
{
    private readonly Func<DhtContact, DhtRequest, DhtResponse> _answer;

    public ScriptedRpc(Func<DhtContact, DhtRequest, DhtResponse> answer) => _answer = answer;

    public List<(DhtContact Target, DhtRequest Request)> Sent { get; } = [];

    public ValueTask<DhtResponse> SendAsync(DhtContact target, DhtRequest request, CancellationToken cancellationToken)
    {
        lock (Sent)
        {
            Sent.Add((target, request));
        }

        // A scripted peer signs its answers as a real one would, with its own key.
        var response = _answer(target, request);
        return ValueTask.FromResult(response.Proof is null ? response with { Proof = DhtTestData.SignerOf(target.NodeId).Prove(target.NodeId, request.Nonce) } : response);
    }
}

/// <summary>Calls peers' <see cref="DhtNode.Handle"/> directly; a node in <see cref="Dead"/> is unreachable.</summary>
internal sealed class DirectRpc : IDhtRpc
{
    public Dictionary<DhtId, DhtNode> Nodes { get; } = [];

    public HashSet<DhtId> Dead { get; } = [];

    public ValueTask<DhtResponse> SendAsync(DhtContact target, DhtRequest request, CancellationToken cancellationToken)
    {
        if (Dead.Contains(target.Id) || !Nodes.TryGetValue(target.Id, out var node))
        {
            throw new DhtRpcException(DhtRpcFailure.Unreachable, $"{target} is gone.");
        }

        return ValueTask.FromResult(node.Handle(request));
    }
}

internal static class DhtTestData
{
    /// <summary>The realm of the DHT tests' nodes and records.</summary>
    public const string Realm = "test";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, DhtSecurity> Signers = new(StringComparer.Ordinal);

    /// <summary>The signer of node <paramref name="nodeId"/>: one key per name, so a name always signs with the same key.</summary>
    public static DhtSecurity SignerOf(string nodeId) => Signers.GetOrAdd(nodeId, _ => DhtSecurity.Open(Realm));

    /// <summary>A node of the test realm whose name signs with its own key (open trust mode).</summary>
    public static DhtNode Node(string nodeId, DhtOptions options, IDhtRpc rpc, TimeProvider time, int? seed = null) =>
        new(new DhtContact(nodeId), options, rpc, time, SignerOf(nodeId), seed);

    /// <summary><paramref name="record"/> signed by its own node for <paramref name="key"/>.</summary>
    public static SignedRecord SignedFor(this ProviderRecord record, DhtId key) => SignerOf(record.NodeId).Sign(key, record);

    /// <summary>Node <paramref name="nodeId"/>'s own withdrawal from <paramref name="key"/>.</summary>
    public static Tombstone Withdrawal(DhtId key, string nodeId, DateTimeOffset at) => SignerOf(nodeId).SignWithdrawal(key, nodeId, at);

    /// <summary>A provider record of <paramref name="service"/> whose subject is its node's own, so replicas accept it.</summary>
    public static ProviderRecord RecordOf(string service, string nodeId, DateTimeOffset advertisedAt, TimeSpan? ttl = null, string? version = null) =>
        new(nodeId, $"macula.{Realm}.rpc.{service}.{nodeId}", new Dictionary<string, string> { ["version"] = version ?? "1" }, ttl ?? TimeSpan.FromMinutes(5), advertisedAt);

    public static ProviderRecord Record(string nodeId, DateTimeOffset advertisedAt, TimeSpan? ttl = null, string? version = null) =>
        new(nodeId, $"macula.test.rpc.Svc.{nodeId}", new Dictionary<string, string> { ["version"] = version ?? "1" }, ttl ?? TimeSpan.FromMinutes(5), advertisedAt);

    /// <summary>Node ids (n0, n1, ...) whose DHT id falls in <paramref name="bucket"/> of <paramref name="self"/>.</summary>
    public static List<DhtContact> ContactsInBucket(DhtId self, int bucket, int count, string prefix = "n")
    {
        var result = new List<DhtContact>(count);
        for (int i = 0; result.Count < count; i++)
        {
            var contact = new DhtContact($"{prefix}{i}");
            if (DhtId.BucketIndex(self, contact.Id) == bucket)
            {
                result.Add(contact);
            }
        }

        return result;
    }
}
