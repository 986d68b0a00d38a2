using Macula.Dht;
using Macula.Discovery;

namespace Macula.Tests.Dht;

/// <summary>Lookups, replication and republish over direct calls between nodes (no transport).</summary>
public sealed class DhtLookupTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly DirectRpc _rpc = new();
    private readonly List<DhtNode> _nodes = [];

    private async Task BuildAsync(int count, DhtOptions options)
    {
        for (int i = 0; i < count; i++)
        {
            var node = DhtTestData.Node($"n{i}", options, _rpc, _time, seed: i);
            _rpc.Nodes.Add(node.Self.Id, node);
            if (_nodes.Count > 0)
            {
                node.AddContacts([_nodes[i / 2].Self]);
                await node.JoinAsync(default);
            }

            _nodes.Add(node);
        }
    }

    [Fact]
    public async Task A_lookup_converges_on_the_k_closest_live_nodes_with_alpha_in_flight()
    {
        var options = DhtOptions.Default with { K = 8 };
        await BuildAsync(300, options);
        var random = new Random(3);
        for (int i = 0; i < 30; i++)
        {
            var target = DhtId.Random(random);
            var asker = _nodes[random.Next(_nodes.Count)];
            var expected = _nodes.Where(n => n != asker).OrderBy(n => n.Self.Id ^ target).Take(8).Select(n => n.Self).ToList();
            var result = await asker.LookupAsync(target, findValue: false, default);
            Assert.Equal(expected, result.Closest);
            Assert.True(result.Messages >= 8);
            Assert.InRange(result.Rounds, 1, 10);
        }

        // Crashed nodes are skipped: the lookup ends on the K closest that still answer.
        foreach (var node in _nodes.Where((_, i) => i % 3 == 0))
        {
            _rpc.Dead.Add(node.Self.Id);
        }

        var target2 = DhtId.Random(random);
        var asker2 = _nodes[1];
        var live = _nodes.Where(n => n != asker2 && !_rpc.Dead.Contains(n.Self.Id)).OrderBy(n => n.Self.Id ^ target2).Take(8).Select(n => n.Self);
        var after = await asker2.LookupAsync(target2, findValue: false, default);
        Assert.Equal(live, after.Closest);
    }

    [Fact]
    public async Task A_value_lookup_merges_several_replicas_so_one_stale_replica_hides_nothing()
    {
        var options = DhtOptions.Default with { K = 6 };
        await BuildAsync(60, options);
        var key = DhtId.ForService("Calculator");
        var t0 = _time.GetUtcNow();
        await _nodes[10].StoreAsync(key, [DhtTestData.RecordOf("Calculator", "a", t0, version: "1").SignedFor(key)], default);
        await _nodes[11].StoreAsync(key, [DhtTestData.RecordOf("Calculator", "b", t0).SignedFor(key)], default);

        // The replica nearest the key misses both later updates: a's re-advertisement and c's arrival.
        var holders = _nodes.Where(n => n.Storage.Get(key, t0).Records.Count == 2).OrderBy(n => n.Self.Id ^ key).ToList();
        Assert.Equal(6, holders.Count);
        var stale = holders[0];
        _time.Advance(TimeSpan.FromSeconds(5));
        var update = new StoreRequest(_nodes[10].Self, key, [DhtTestData.RecordOf("Calculator", "a", _time.GetUtcNow(), version: "2").SignedFor(key), DhtTestData.RecordOf("Calculator", "c", _time.GetUtcNow()).SignedFor(key)]);
        foreach (var holder in holders.Skip(1))
        {
            holder.Handle(update);
        }

        Assert.Equal(["a", "b"], stale.Storage.Get(key, _time.GetUtcNow()).Records.Select(r => r.NodeId).Order());

        var asker = _nodes.First(n => !holders.Contains(n));
        var result = await asker.LookupAsync(key, findValue: true, default);
        Assert.Contains(stale.Self, result.Holders);
        var found = result.LiveRecords(_time.GetUtcNow());
        Assert.Equal(["a", "b", "c"], found.Select(r => r.NodeId));
        Assert.Equal("2", found[0].Metadata["version"]);
    }

    [Fact]
    public async Task A_key_outlives_every_node_that_first_held_it_through_republish()
    {
        var options = DhtOptions.Default with { K = 5, RepublishInterval = TimeSpan.FromMinutes(2) };
        await BuildAsync(80, options);
        var key = DhtId.ForService("Calculator");
        var provider = _nodes[0];
        await provider.StoreAsync(key, [DhtTestData.RecordOf("Calculator", provider.Self.NodeId, _time.GetUtcNow(), TimeSpan.FromHours(1)).SignedFor(key)], default);
        var firstHolders = _nodes.Where(n => n.Storage.Get(key, _time.GetUtcNow()).Records.Count > 0).ToList();
        Assert.Equal(5, firstHolders.Count);

        // Three of the five replicas crash; the survivors republish onto the new closest nodes.
        foreach (var dead in firstHolders.Take(3))
        {
            _rpc.Dead.Add(dead.Self.Id);
        }

        _time.Advance(TimeSpan.FromMinutes(3));
        foreach (var node in _nodes.Where(n => !_rpc.Dead.Contains(n.Self.Id)))
        {
            await node.RunMaintenanceAsync(default);
        }

        // Then the other two original replicas crash as well.
        foreach (var dead in firstHolders.Skip(3))
        {
            _rpc.Dead.Add(dead.Self.Id);
        }

        var asker = _nodes.First(n => !_rpc.Dead.Contains(n.Self.Id) && n != provider);
        var found = await asker.FindValueAsync(key, default);
        Assert.Equal(provider.Self.NodeId, Assert.Single(found).NodeId);
    }

    [Fact]
    public async Task Delete_reaches_every_replica_and_a_stale_republish_cannot_resurrect_the_provider()
    {
        var options = DhtOptions.Default with { K = 5, RepublishInterval = TimeSpan.FromMinutes(2) };
        await BuildAsync(60, options);
        var key = DhtId.ForService("Calculator");
        var t0 = _time.GetUtcNow();
        await _nodes[0].StoreAsync(key, [DhtTestData.RecordOf("Calculator", "a", t0, TimeSpan.FromHours(1)).SignedFor(key)], default);
        await _nodes[1].StoreAsync(key, [DhtTestData.RecordOf("Calculator", "b", t0, TimeSpan.FromHours(1)).SignedFor(key)], default);

        // One replica is unreachable during the DELETE and keeps the old record.
        var holders = _nodes.Where(n => n.Storage.Get(key, t0).Records.Count == 2).ToList();
        var missed = holders[0];
        _rpc.Dead.Add(missed.Self.Id);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _nodes[30].DeleteAsync(key, DhtTestData.Withdrawal(key, "a", _time.GetUtcNow()), default);
        _rpc.Dead.Remove(missed.Self.Id);

        foreach (var holder in holders.Skip(1))
        {
            Assert.Equal(["b"], holder.Storage.Get(key, _time.GetUtcNow()).Records.Select(r => r.NodeId));
        }

        // It republishes the withdrawn record; the withdrawal markers refuse it and lookups keep it hidden.
        _time.Advance(TimeSpan.FromMinutes(3));
        await missed.RunMaintenanceAsync(default);
        foreach (var holder in holders.Skip(1))
        {
            Assert.Equal(["b"], holder.Storage.Get(key, _time.GetUtcNow()).Records.Select(r => r.NodeId));
        }

        Assert.Equal(["b"], (await _nodes[40].FindValueAsync(key, default)).Select(r => r.NodeId));
    }
}
