using System.Collections.Concurrent;
using Macula.Dht;
using Macula.Discovery;
using Macula.Serialization;
using Macula.Tests.Rpc;
using Macula.Transport;
using Macula.Transport.InMemory;
using MessagePack;

namespace Macula.Tests.Security;

/// <summary>
/// The attacks of docs/security.md's threat model, each run by a peer on the same bus that speaks the DHT wire with
/// Macula's own codec and its own keys: none of them displaces, hides or locks out the genuine providers, none of the
/// forged data is ever returned, and each rejection is logged.
/// </summary>
public sealed class AttackTests : IAsyncLifetime
{
    private const string Realm = "default";
    private static readonly DhtId Key = DhtId.ForService("Probe");
    private readonly InMemoryNetwork _network = new();
    private readonly List<MaculaNode> _nodes = [];
    private readonly ConcurrentQueue<MaculaEvent> _providerEvents = new();
    private readonly List<IAsyncDisposable> _registrations = [];
    private MaculaNode _client = null!;
    private Attacker _attacker = null!;

    public async Task InitializeAsync()
    {
        for (int i = 0; i < 3; i++)
        {
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = _network.CreateTransport(), NodeId = $"p{i}", OnEvent = _providerEvents.Enqueue });
            _registrations.Add(await node.ProvideAsync<IProbe>(new ProbeImpl($"p{i}")));
            _nodes.Add(node);
        }

        _client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = _network.CreateTransport(), NodeId = "client" });
        _nodes.Add(_client);
        _attacker = new Attacker(_network.CreateTransport());
    }

    public async Task DisposeAsync()
    {
        foreach (var registration in _registrations)
        {
            await registration.DisposeAsync();
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await _attacker.DisposeAsync();
    }

    private IEnumerable<string> Replicas => _nodes.Take(3).Select(n => n.NodeId);

    [Fact]
    public async Task A_record_for_a_genuine_node_id_with_the_attackers_subject_and_a_future_time_is_refused_everywhere()
    {
        var forgedFuture = _attacker.Sign(Key, Record("p0", "macula.default.rpc.Probe.p0", DateTimeOffset.UtcNow.AddYears(10)));
        var forgedSubject = _attacker.Sign(Key, Record("p0", "_INBOX.attacker", DateTimeOffset.UtcNow));
        var forgedOwner = _attacker.Sign(Key, Record("p0", "macula.default.rpc.Probe.p0", DateTimeOffset.UtcNow.AddSeconds(5)));

        foreach (string replica in Replicas)
        {
            var stored = (StoredResponse)(await _attacker.SendAsync(replica, new StoreRequest(_attacker.Self, Key, [forgedFuture, forgedSubject, forgedOwner])))!;
            Assert.Equal(0, stored.Accepted);
        }

        await AssertGenuineProvidersServeAsync();
        Assert.All(StoredRecords(), r => Assert.NotEqual(_attacker.PublicKey, r.Seal.PublicKey));
        Assert.Contains(_providerEvents, e => e.Message.Contains("advertised 3650", StringComparison.Ordinal) || e.Message.Contains("in the future", StringComparison.Ordinal));
        Assert.Contains(_providerEvents, e => e.Message.Contains("not its own for this service", StringComparison.Ordinal));
        Assert.Contains(_providerEvents, e => e.Message.Contains("'p0' is held by another key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_whose_signature_does_not_match_its_fields_is_refused()
    {
        var signed = _attacker.Sign(Key, Record("evil", "macula.default.rpc.Probe.evil", DateTimeOffset.UtcNow));
        var tampered = signed with { Record = signed.Record with { Subject = "macula.default.rpc.Probe.p1", NodeId = "p1" } };

        var stored = (StoredResponse)(await _attacker.SendAsync("p0", new StoreRequest(_attacker.Self, Key, [tampered])))!;

        Assert.Equal(0, stored.Accepted);
        Assert.Contains(_providerEvents, e => e.Message.Contains("signature that is not its key's", StringComparison.Ordinal));
        await AssertGenuineProvidersServeAsync();
    }

    [Fact]
    public async Task A_withdrawal_dated_far_ahead_or_signed_by_anyone_but_the_owner_removes_nothing()
    {
        var future = _attacker.Withdrawal(Key, "p0", DateTimeOffset.UtcNow.AddYears(100));
        var notOwner = _attacker.Withdrawal(Key, "p0", DateTimeOffset.UtcNow);

        foreach (string replica in Replicas)
        {
            Assert.False(((DeletedResponse)(await _attacker.SendAsync(replica, new DeleteRequest(_attacker.Self, Key, future)))!).Removed);
            Assert.False(((DeletedResponse)(await _attacker.SendAsync(replica, new DeleteRequest(_attacker.Self, Key, notOwner)))!).Removed);
        }

        await AssertGenuineProvidersServeAsync();
        Assert.All(_nodes.Take(3), n => Assert.DoesNotContain(Dht(n).Storage.Get(Key, DateTimeOffset.UtcNow).Tombstones, t => t.NodeId == "p0"));
        Assert.Contains(_providerEvents, e => e.Message.Contains("s in the future", StringComparison.Ordinal));
        Assert.Contains(_providerEvents, e => e.Message.Contains("only its owner may withdraw it", StringComparison.Ordinal));

        // The genuine owner can still withdraw, and come back.
        await _registrations[0].DisposeAsync();
        Assert.DoesNotContain("p0", (await _client.FindProvidersAsync("Probe")).Select(p => p.NodeId));
    }

    [Fact]
    public async Task A_flood_of_validly_signed_records_from_a_peer_that_never_proved_its_key_is_capped_and_a_new_provider_still_gets_in()
    {
        var flood = Enumerable.Range(0, 256).Select(i => Attacker.SignAsNew(Key, Record($"f{i:000}", $"macula.default.rpc.Probe.f{i:000}", DateTimeOffset.UtcNow))).ToList();
        foreach (string replica in Replicas)
        {
            await _attacker.SendAsync(replica, new StoreRequest(_attacker.Self, Key, flood));
        }

        var late = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = _network.CreateTransport(), NodeId = "p-late" });
        _nodes.Add(late);
        _registrations.Add(await late.ProvideAsync<IProbe>(new ProbeImpl("p-late")));

        // A replica that had not yet heard the newcomer's proof keeps its record until the probe answers.
        await WaitForAsync(() => _nodes.Take(3).All(n => Dht(n).ProbesInFlight == 0));
        var limit = DhtOptions.Default.NewEntriesPerKeyBurstUnverified;
        foreach (var replica in _nodes.Take(3))
        {
            var held = Dht(replica).Storage.Get(Key, DateTimeOffset.UtcNow).Records;
            Assert.True(held.Count(r => r.NodeId.StartsWith('f')) <= limit, $"{replica.NodeId} took {held.Count(r => r.NodeId.StartsWith('f'))} flood records");
            Assert.Contains(held, r => r.NodeId == "p-late");
        }

        Assert.Contains("p-late", (await _client.FindProvidersAsync("Probe")).Select(p => p.NodeId));
        Assert.Contains(_providerEvents, e => e.Message.Contains("takes no new provider now", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fake_leave_announcement_does_not_evict_a_provider_from_a_clients_cache()
    {
        var probe = _client.CreateClient<IProbe>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        for (int i = 0; i < 3; i++)
        {
            await probe.WhoAsync();
        }

        await _client.Announcements.WatchingAsync("Probe");
        await _attacker.AnnounceWithdrawnAsync("Probe", "p0", DateTimeOffset.UtcNow);
        await _attacker.PublishAsync(Subjects.Discovery(Realm, "Probe"), LegacyAnnouncement("p0"));
        await Task.Delay(200);

        var served = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            served.Add(await probe.WhoAsync());
        }

        Assert.Equal(10, served.Count(s => s == "p0"));
    }

    [Fact]
    public async Task Ten_thousand_requests_from_made_up_senders_put_none_of_them_in_a_routing_table()
    {
        var target = _nodes[0];
        for (int i = 0; i < 10_000; i++)
        {
            var sender = new DhtContact($"ghost-{i}");
            await _attacker.SendAsync(target.NodeId, new FindValueRequest(sender, Key));
        }

        // Give the probes of those senders time to fail.
        await WaitForAsync(() => Dht(target).ProbesInFlight == 0);
        Assert.DoesNotContain(Dht(target).Routing.All(), c => c.NodeId.StartsWith("ghost-", StringComparison.Ordinal));
        var nodes = (NodesResponse)(await _attacker.SendAsync(target.NodeId, new FindNodeRequest(_attacker.Self, DhtId.ForNode("ghost-1"))))!;
        Assert.DoesNotContain(nodes.Contacts, c => c.NodeId.StartsWith("ghost-", StringComparison.Ordinal));
        await AssertGenuineProvidersServeAsync();
    }

    private async Task AssertGenuineProvidersServeAsync()
    {
        var found = await _client.FindProvidersAsync("Probe");
        Assert.Equal(["p0", "p1", "p2"], found.Select(p => p.NodeId).Where(id => id.StartsWith('p') && id != "p-late"));
        Assert.All(found.Where(p => p.NodeId is "p0" or "p1" or "p2"), p => Assert.Equal($"macula.default.rpc.Probe.{p.NodeId}", p.Subject));
        var probe = _client.CreateClient<IProbe>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        var served = new HashSet<string>();
        for (int i = 0; i < 6; i++)
        {
            served.Add(await probe.WhoAsync());
        }

        Assert.Subset(new HashSet<string> { "p0", "p1", "p2", "p-late" }, served);
    }

    private IEnumerable<SignedRecord> StoredRecords() => _nodes.Take(3).SelectMany(n => Dht(n).Storage.Get(Key, DateTimeOffset.UtcNow).Records);

    private static DhtNode Dht(MaculaNode node) => ((DhtServiceRegistry)node.Registry).Node;

    private static ProviderRecord Record(string nodeId, string subject, DateTimeOffset at) =>
        new(nodeId, subject, new Dictionary<string, string>(), TimeSpan.FromMinutes(5), at);

    private static byte[] LegacyAnnouncement(string nodeId)
    {
        using var buffer = new PooledBufferWriter();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(2);
        w.Write(2);
        w.Write(nodeId);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "the condition did not hold within 30 s");
    }

    /// <summary>A peer on the bus with its own key and Macula's codec: it can send anything the wire allows.</summary>
    private sealed class Attacker(InMemoryTransport transport) : IAsyncDisposable
    {
        private readonly DhtSecurity _signer = DhtSecurity.Open(Realm);
        private readonly DhtCodec _codec = new(DhtOptions.Default);

        public DhtContact Self { get; } = new("attacker");

        public byte[] PublicKey => _signer.Prove("x", new byte[16]).PublicKey;

        public SignedRecord Sign(DhtId key, ProviderRecord record) => _signer.Sign(key, record);

        public static SignedRecord SignAsNew(DhtId key, ProviderRecord record) => DhtSecurity.Open(Realm).Sign(key, record);

        public Tombstone Withdrawal(DhtId key, string nodeId, DateTimeOffset at) => _signer.SignWithdrawal(key, nodeId, at);

        public async Task<DhtResponse?> SendAsync(string target, DhtRequest request)
        {
            using var buffer = new PooledBufferWriter();
            DhtCodec.WriteRequest(buffer, request);
            var reply = await transport.RequestAsync($"macula.{Realm}.dht.{target}", buffer.WrittenMemory, null, TimeSpan.FromSeconds(5));
            return _codec.ReadResponse(reply.Payload);
        }

        public async Task AnnounceWithdrawnAsync(string service, string nodeId, DateTimeOffset at)
        {
            at = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());
            var seal = _signer.SignAnnouncement(service, 2, nodeId, at);
            using var buffer = new PooledBufferWriter();
            var w = new MessagePackWriter(buffer);
            w.WriteArrayHeader(4);
            w.Write(2);
            w.Write(nodeId);
            w.Write(at.ToUnixTimeMilliseconds());
            w.WriteArrayHeader(3);
            w.Write(seal.PublicKey.AsSpan());
            w.Write(seal.Signature.AsSpan());
            w.WriteNil();
            w.Flush();
            await transport.PublishAsync(Subjects.Discovery(Realm, service), buffer.WrittenSpan.ToArray());
        }

        public ValueTask PublishAsync(string subject, byte[] payload) => transport.PublishAsync(subject, payload);

        public ValueTask DisposeAsync() => transport.DisposeAsync();
    }
}
