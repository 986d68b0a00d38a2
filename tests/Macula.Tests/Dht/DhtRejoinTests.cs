using Macula.Discovery;
using Macula.Transport.InMemory;

namespace Macula.Tests.Dht;

/// <summary>A node that lost every contact (its bus connection dropped, as when nats-server restarts) finds the others again.</summary>
public sealed class DhtRejoinTests : IAsyncLifetime
{
    private const string Realm = "test";
    private readonly InMemoryNetwork _network = new();
    private readonly List<DhtServiceRegistry> _registries = [];
    private readonly List<InMemoryTransport> _transports = [];
    private readonly StoppedClock _time = new();

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
    public async Task A_node_whose_contacts_all_failed_rejoins_through_bootstrap_before_it_looks_up()
    {
        var holder = await StartAsync("node-0");
        await StartAsync("node-1");
        var late = await StartAsync("node-2");
        // The joins end in the background (senders are probed before they enter a routing table, contacts named by
        // others are pinged first): a probe or ping answered after the faults below would add a contact or hand the
        // late node a replica (ReplicateToNewcomerAsync) behind the test's back. Two fresh-clone runs on 2026-12-04
        // failed that way (the first lookup found the record; then the routing table held 2 after it).
        await EveryNodeKnowsTheOthersAsync();

        // Unreachable while the provider advertises, and until its own contacts have failed too, so it holds no
        // replica: only its contacts can tell it the provider.
        var lateTransport = _transports[2];
        lateTransport.Faults.Subjects = "macula.*.dht.node-2";
        lateTransport.Faults.NoResponders = true;
        await holder.AdvertiseAsync("Calculator", Own("node-0", _time.GetUtcNow()), default);

        foreach (var transport in _transports.Take(2))
        {
            transport.Faults.NoResponders = true;
        }

        Assert.Equal(0, late.Node.Storage.KeyCount);

        Assert.Empty(await late.LookupAsync("Calculator", default));
        Assert.Equal(0, late.RoutingTableCount);

        foreach (var transport in _transports)
        {
            transport.Faults.Clear();
        }

        // No upkeep round runs (the clock's timers never fire): the lookup itself must rejoin.
        Assert.Equal(["node-0"], (await late.LookupAsync("Calculator", default)).Select(r => r.NodeId));
        Assert.True(late.RoutingTableCount >= 2, $"it knows {late.RoutingTableCount} nodes");
    }

    [Fact]
    public async Task A_node_that_joins_after_a_store_receives_the_keys_it_is_now_close_to()
    {
        var first = await StartAsync("node-0");
        var second = await StartAsync("node-1");
        await first.AdvertiseAsync("Calculator", Own("provider-x", _time.GetUtcNow()), default);

        var late = await StartAsync("node-2");
        for (int i = 0; i < 200 && late.Node.Storage.KeyCount == 0; i++)
        {
            await Task.Delay(25);
        }

        // Every node that held the record is gone; the newcomer still has it, with no republish having run.
        _transports[0].Kill();
        _transports[1].Kill();
        Assert.Equal(["provider-x"], (await late.LookupAsync("Calculator", default)).Select(r => r.NodeId));
    }

    private async Task EveryNodeKnowsTheOthersAsync()
    {
        for (int i = 0; i < 1_000 && _registries.Any(r => r.RoutingTableCount < _registries.Count - 1); i++)
        {
            await Task.Delay(10);
        }

        Assert.All(_registries, r => Assert.Equal(_registries.Count - 1, r.RoutingTableCount));
    }

    private async Task<DhtServiceRegistry> StartAsync(string nodeId)
    {
        var transport = _network.CreateTransport();
        _transports.Add(transport);
        var registry = await DhtServiceRegistry.StartAsync(transport, Realm, nodeId, DhtOptions.Default with { K = 5, Mode = DhtMode.Server }, default, _time);
        _registries.Add(registry);
        return registry;
    }

    /// <summary>A clock whose timers never fire, so the registries' upkeep loops stay asleep for the whole test.</summary>
    private sealed class StoppedClock : TimeProvider
    {
        private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverTimer();

        private sealed class NeverTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static ProviderRecord Own(string nodeId, DateTimeOffset at) => DhtTestData.RecordOf("Calculator", nodeId, at);
}
