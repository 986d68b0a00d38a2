using Macula.Discovery;
using Macula.Health;
using Macula.Rpc;
using Macula.Tests.Rpc;
using Macula.Transport.InMemory;

namespace Macula.Tests.Discovery;

/// <summary>The original system's registry tests, ported: advertise, discover, cache expiry and pruning, multi-provider, removal by node id.</summary>
public sealed class RegistryTests
{
    private sealed class FakeRegistry : IServiceRegistry
    {
        public List<ProviderRecord> Records { get; } = [];

        public int Lookups { get; private set; }

        public ValueTask AdvertiseAsync(string service, ProviderRecord record, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask WithdrawAsync(string service, string nodeId, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<IReadOnlyList<ProviderRecord>> LookupAsync(string service, CancellationToken cancellationToken)
        {
            Lookups++;
            return ValueTask.FromResult<IReadOnlyList<ProviderRecord>>([.. Records]);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static ProviderRecord Record(string node, TimeSpan ttl, DateTimeOffset at) =>
        new(node, $"macula.r.rpc.svc.{node}", new Dictionary<string, string>(), ttl, at);

    private static (DiscoveryCache Cache, FakeRegistry Registry, ManualTimeProvider Clock) NewCache()
    {
        var clock = new ManualTimeProvider();
        var registry = new FakeRegistry();
        var cache = new DiscoveryCache(registry, new HealthTable(CircuitBreakerOptions.Default, clock), TimeSpan.FromSeconds(60), clock);
        return (cache, registry, clock);
    }

    [Fact]
    public async Task Lookups_are_cached_for_the_ttl_then_looked_up_again()
    {
        var (cache, registry, clock) = NewCache();
        registry.Records.Add(Record("n1", TimeSpan.FromMinutes(5), clock.GetUtcNow()));

        await cache.GetAsync("svc", default);
        await cache.GetAsync("svc", default);
        Assert.Equal(1, registry.Lookups);

        clock.Advance(TimeSpan.FromSeconds(61));
        await cache.GetAsync("svc", default);
        Assert.Equal(2, registry.Lookups);
        Assert.Equal(2, cache.Misses);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public async Task Expired_records_are_pruned_from_a_cached_set_without_a_lookup()
    {
        var (cache, registry, clock) = NewCache();
        registry.Records.Add(Record("short", TimeSpan.FromSeconds(10), clock.GetUtcNow()));
        registry.Records.Add(Record("long", TimeSpan.FromMinutes(5), clock.GetUtcNow()));
        Assert.Equal(2, (await cache.GetAsync("svc", default)).Entries.Length);

        clock.Advance(TimeSpan.FromSeconds(11));
        var set = await cache.GetAsync("svc", default);

        Assert.Equal(new[] { "long" }, set.Entries.Select(e => e.NodeId));
        Assert.Equal(1, registry.Lookups);
    }

    [Fact]
    public async Task Records_already_expired_in_a_lookup_are_left_out()
    {
        var (cache, registry, clock) = NewCache();
        registry.Records.Add(Record("old", TimeSpan.FromSeconds(10), clock.GetUtcNow() - TimeSpan.FromMinutes(1)));
        registry.Records.Add(Record("fresh", TimeSpan.FromSeconds(10), clock.GetUtcNow()));

        Assert.Equal(new[] { "fresh" }, (await cache.GetAsync("svc", default)).Entries.Select(e => e.NodeId));
    }

    [Fact]
    public async Task Invalidation_forces_one_fresh_lookup()
    {
        var (cache, registry, clock) = NewCache();
        registry.Records.Add(Record("n1", TimeSpan.FromMinutes(5), clock.GetUtcNow()));
        var first = await cache.GetAsync("svc", default);
        registry.Records.Add(Record("n2", TimeSpan.FromMinutes(5), clock.GetUtcNow()));

        cache.Invalidate("svc", first);
        var second = await cache.GetAsync("svc", default);

        Assert.Equal(new[] { "n1", "n2" }, second.Entries.Select(e => e.NodeId));
        Assert.Equal(2, registry.Lookups);
        cache.Invalidate("svc", first); // a stale invalidation does not drop the newer set
        await cache.GetAsync("svc", default);
        Assert.Equal(2, registry.Lookups);
    }

    private static ProviderSet Hit(DiscoveryCache cache)
    {
        var pending = cache.GetAsync("svc", default);
        Assert.True(pending.IsCompletedSuccessfully, "a cache hit completes synchronously");
        return pending.Result;
    }

    [Fact]
    public async Task A_cache_hit_allocates_nothing()
    {
        var (cache, registry, clock) = NewCache();
        registry.Records.Add(Record("n1", TimeSpan.FromMinutes(5), clock.GetUtcNow()));
        await cache.GetAsync("svc", default);
        for (int i = 0; i < 10; i++)
        {
            Hit(cache);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Hit(cache);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Providers_advertise_and_are_discovered_with_their_record()
    {
        var network = new InMemoryNetwork();
        var meta = new Dictionary<string, string> { ["version"] = "1.2.3" };
        await using var p1 = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "b-provider", Metadata = meta, AdvertiseTtl = TimeSpan.FromSeconds(120) });
        await using var p2 = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "a-provider" });
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "client" });
        var before = DateTimeOffset.UtcNow;
        await using var r1 = await p1.ProvideAsync<IProbe>(new ProbeImpl("b"));
        await using var r2 = await p2.ProvideAsync<IProbe>(new ProbeImpl("a"));

        var found = await client.FindProvidersAsync("Probe");

        Assert.Equal(new[] { "a-provider", "b-provider" }, found.Select(r => r.NodeId));
        var b = found[1];
        Assert.Equal("macula.default.rpc.Probe.b-provider", b.Subject);
        Assert.Equal("1.2.3", b.Metadata["version"]);
        Assert.Equal(TimeSpan.FromSeconds(120), b.Ttl);
        Assert.InRange(b.AdvertisedAt, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Withdrawal_removes_exactly_that_provider()
    {
        var network = new InMemoryNetwork();
        var nodes = new List<MaculaNode>();
        var registrations = new List<IAsyncDisposable>();
        for (int i = 0; i < 3; i++)
        {
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = $"n{i}" });
            nodes.Add(node);
            registrations.Add(await node.ProvideAsync<IProbe>(new ProbeImpl($"n{i}")));
        }

        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "client" });
        Assert.Equal(3, (await client.FindProvidersAsync("Probe")).Count);

        await registrations[1].DisposeAsync();

        Assert.Equal(new[] { "n0", "n2" }, (await client.FindProvidersAsync("Probe")).Select(r => r.NodeId));
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }
}
