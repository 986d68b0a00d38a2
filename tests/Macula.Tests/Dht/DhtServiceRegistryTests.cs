using System.Collections.Concurrent;
using Macula.Dht;
using Macula.Discovery;
using Macula.Serialization;
using Macula.Transport;
using Macula.Transport.InMemory;
using MessagePack;

namespace Macula.Tests.Dht;

/// <summary>The registry over the in-memory transport: bootstrap by subject, STORE, FIND_VALUE and DELETE on the wire.</summary>
public sealed class DhtServiceRegistryTests : IAsyncLifetime
{
    private const string Realm = "test";
    private readonly InMemoryNetwork _network = new();
    private readonly List<DhtServiceRegistry> _registries = [];
    private readonly List<InMemoryTransport> _transports = [];
    private readonly ManualTimeProvider _time = new();
    private readonly ConcurrentQueue<string> _diagnostics = new();

    private static DhtOptions Options => DhtOptions.Default with { K = 5, RequestTimeout = TimeSpan.FromSeconds(5), Mode = DhtMode.Server };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var registry in _registries)
        {
            await registry.DisposeAsync();
        }

        foreach (var transport in _transports)
        {
            await transport.DisposeAsync();
        }
    }

    [Fact]
    public async Task Nodes_find_each_other_through_the_bootstrap_subject_alone()
    {
        var nodes = await StartAsync(12);

        foreach (var node in nodes)
        {
            Assert.True(node.RoutingTableCount >= Options.K, $"{node.Node.Self} knows {node.RoutingTableCount} nodes");
        }

        Assert.Empty(_diagnostics);
    }

    [Fact]
    public async Task Advertised_providers_are_found_from_every_node_and_merged_by_node_id()
    {
        var nodes = await StartAsync(12);
        var now = _time.GetUtcNow();
        await nodes[0].AdvertiseAsync("Calculator", Own("node-0", now, version: "1"), default);
        await nodes[1].AdvertiseAsync("Calculator", Own("node-1", now), default);
        _time.Advance(TimeSpan.FromSeconds(1));
        await nodes[0].AdvertiseAsync("Calculator", Own("node-0", _time.GetUtcNow(), version: "2"), default);

        foreach (var node in nodes)
        {
            var found = await node.LookupAsync("Calculator", default);
            Assert.Equal(["node-0", "node-1"], found.Select(r => r.NodeId));
            Assert.Equal("2", found[0].Metadata["version"]);
        }

        Assert.Empty(await nodes[5].LookupAsync("Unknown", default));
    }

    [Fact]
    public async Task Withdraw_deletes_exactly_that_provider_on_every_replica_over_the_wire()
    {
        var nodes = await StartAsync(12);
        var now = _time.GetUtcNow();
        var key = DhtId.ForService("Calculator");
        await nodes[0].AdvertiseAsync("Calculator", Own("node-0", now), default);
        await nodes[1].AdvertiseAsync("Calculator", Own("node-1", now), default);
        var replicas = nodes.Where(n => n.Node.Storage.Get(key, now).Records.Count == 2).ToList();
        Assert.True(replicas.Count >= Options.K, $"only {replicas.Count} replicas");

        _time.Advance(TimeSpan.FromSeconds(1));
        long sentBefore = nodes[0].Statistics.RequestsSent;
        await nodes[0].WithdrawAsync("Calculator", "node-0", default);
        Assert.True(nodes[0].Statistics.RequestsSent - sentBefore >= Options.K, "the DELETE did not go over the wire to the replicas");

        foreach (var replica in replicas)
        {
            var (records, tombstones) = replica.Node.Storage.Get(key, _time.GetUtcNow());
            Assert.Equal("node-1", Assert.Single(records).NodeId);
            Assert.Equal("node-0", Assert.Single(tombstones).NodeId);
        }

        Assert.Equal(["node-1"], (await nodes[3].LookupAsync("Calculator", default)).Select(r => r.NodeId));
    }

    [Fact]
    public async Task Records_expire_on_their_ttl_without_anyone_deleting_them()
    {
        var nodes = await StartAsync(8);
        var now = _time.GetUtcNow();
        await nodes[0].AdvertiseAsync("Calculator", Own("node-0", now, TimeSpan.FromSeconds(30)), default);
        await nodes[1].AdvertiseAsync("Calculator", Own("node-1", now, TimeSpan.FromSeconds(300)), default);

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(["node-1"], (await nodes[4].LookupAsync("Calculator", default)).Select(r => r.NodeId));

        _time.Advance(TimeSpan.FromSeconds(300));
        Assert.Empty(await nodes[4].LookupAsync("Calculator", default));
        foreach (var node in nodes)
        {
            await node.RunMaintenanceAsync(default);
            Assert.Equal(0, node.Node.Storage.Count);
        }
    }

    [Fact]
    public async Task A_bad_or_oversized_message_is_dropped_and_the_node_keeps_working()
    {
        var nodes = await StartAsync(6);
        var target = nodes[2];
        var subject = Subjects.DhtNode(Realm, target.Node.Self.NodeId);
        var attacker = _network.CreateTransport();
        _transports.Add(attacker);

        long dropped = target.Statistics.MessagesDropped;
        await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await attacker.RequestAsync(subject, new byte[] { 0x93, 0x01, 0x63, 0xc1 }, null, TimeSpan.FromMilliseconds(200)));
        await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await attacker.RequestAsync(subject, new byte[Options.MaxMessageBytes + 1], null, TimeSpan.FromMilliseconds(200)));
        await attacker.PublishAsync(subject, new byte[] { 0x91, 0x01 });

        // A well-formed STORE that claims more records than the bound.
        using (var buffer = new PooledBufferWriter())
        {
            var w = new MessagePackWriter(buffer);
            w.WriteArrayHeader(5);
            w.Write(1);
            w.Write(4);
            w.Write("attacker");
            w.Write(new byte[32]);
            w.WriteArrayHeader(Options.MaxProvidersPerKey + 1);
            for (int i = 0; i <= Options.MaxProvidersPerKey; i++)
            {
                w.WriteNil();
            }

            w.Flush();

            await Assert.ThrowsAsync<MaculaTransportException>(async () =>
                await attacker.RequestAsync(subject, buffer.WrittenMemory, null, TimeSpan.FromMilliseconds(200)));
        }

        await WaitUntilAsync(() => target.Statistics.MessagesDropped - dropped >= 4);
        Assert.Equal(4, _diagnostics.Count(d => d.Contains(subject, StringComparison.Ordinal)));

        await target.AdvertiseAsync("Calculator", Own("node-2", _time.GetUtcNow()), default);
        Assert.Equal(["node-2"], (await nodes[0].LookupAsync("Calculator", default)).Select(r => r.NodeId));
        Assert.True(await nodes[0].Node.PingAsync(target.Node.Self, default));
    }

    [Fact]
    public async Task Start_validates_its_arguments_naming_the_bad_one()
    {
        var transport = _network.CreateTransport();
        _transports.Add(transport);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => DhtServiceRegistry.StartAsync(transport, Realm, "n1", Options with { Alpha = 0 }, default));
        Assert.Contains("DhtOptions.Alpha", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => DhtServiceRegistry.StartAsync(transport, Realm, "bad.id", Options, default));
        await Assert.ThrowsAsync<ArgumentException>(() => DhtServiceRegistry.StartAsync(transport, "a b", "n1", Options, default));
    }

    [Fact]
    public async Task A_node_alone_stores_locally_and_finds_its_own_records()
    {
        var nodes = await StartAsync(1);
        await nodes[0].AdvertiseAsync("Calculator", Own("node-0", _time.GetUtcNow()), default);
        Assert.Equal(["node-0"], (await nodes[0].LookupAsync("Calculator", default)).Select(r => r.NodeId));
    }

    private async Task<List<DhtServiceRegistry>> StartAsync(int count)
    {
        var started = new List<DhtServiceRegistry>(count);
        for (int i = 0; i < count; i++)
        {
            var transport = _network.CreateTransport();
            _transports.Add(transport);
            var registry = await DhtServiceRegistry.StartAsync(transport, Realm, $"node-{i}", Options, default, _time, _diagnostics.Enqueue);
            _registries.Add(registry);
            started.Add(registry);
        }

        return started;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    private static ProviderRecord Own(string nodeId, DateTimeOffset at, TimeSpan? ttl = null, string? version = null) =>
        DhtTestData.RecordOf("Calculator", nodeId, at, ttl, version);
}
