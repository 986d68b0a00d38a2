using Macula.Discovery;
using Macula.Health;
using Macula.Tests.Rpc;

namespace Macula.Tests.Discovery;

/// <summary>
/// The overload probe's "failed calls become a DHT lookup storm": concurrent refreshes of one service make one lookup,
/// and refreshes that keep finding the same providers back off, serving the last result meanwhile.
/// </summary>
[Collection(Macula.Tests.Rpc.HeavyLoadCollection.Name)]
public sealed class LookupStormTests
{
    private sealed class GatedRegistry : IServiceRegistry
    {
        private int _lookups;

        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<ProviderRecord> Records { get; } = [];

        public int Lookups => Volatile.Read(ref _lookups);

        public ValueTask AdvertiseAsync(string service, ProviderRecord record, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask WithdrawAsync(string service, string nodeId, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public async ValueTask<IReadOnlyList<ProviderRecord>> LookupAsync(string service, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _lookups);
            await Gate.Task;
            return [.. Records];
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static ProviderRecord Record(string node, DateTimeOffset at) =>
        new(node, $"macula.r.rpc.svc.{node}", new Dictionary<string, string>(), TimeSpan.FromMinutes(5), at);

    [Fact]
    public async Task Concurrent_refreshes_of_one_service_make_one_lookup()
    {
        var clock = new ManualTimeProvider();
        var registry = new GatedRegistry();
        registry.Records.Add(Record("n1", clock.GetUtcNow()));
        var cache = new DiscoveryCache(registry, new HealthTable(CircuitBreakerOptions.Default, clock), TimeSpan.FromSeconds(60), clock);

        var refreshes = Enumerable.Range(0, 100).Select(_ => cache.RefreshAsync("svc", default).AsTask()).ToList();
        registry.Gate.TrySetResult();
        var sets = await Task.WhenAll(refreshes).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(1, registry.Lookups);
        Assert.Equal(99, cache.Joined);
        Assert.All(sets, s => Assert.Equal("n1", Assert.Single(s.Entries).NodeId));
    }

    [Fact]
    public async Task Refreshes_that_find_the_same_providers_back_off_and_an_announcement_ends_the_backoff()
    {
        var clock = new ManualTimeProvider();
        var registry = new GatedRegistry();
        registry.Gate.TrySetResult();
        registry.Records.Add(Record("n1", clock.GetUtcNow()));
        var cache = new DiscoveryCache(registry, new HealthTable(CircuitBreakerOptions.Default, clock), TimeSpan.FromSeconds(60), clock);

        await cache.RefreshAsync("svc", default);
        await cache.RefreshAsync("svc", default); // found nothing new: looked up at once, but now backs off
        Assert.Equal(2, registry.Lookups);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal("n1", Assert.Single((await cache.RefreshAsync("svc", default)).Entries).NodeId);
        }

        Assert.Equal(2, registry.Lookups);
        Assert.Equal(50, cache.Throttled);

        // The backoff is at most its ceiling: then the registry is asked again.
        clock.Advance(DiscoveryCache.RefreshBackoffMax);
        await cache.RefreshAsync("svc", default);
        Assert.Equal(3, registry.Lookups);

        // An announcement (Invalidate of the whole service) ends the backoff: a new provider is looked up at once.
        registry.Records.Add(Record("n2", clock.GetUtcNow()));
        cache.Invalidate("svc");
        Assert.Equal(2, (await cache.RefreshAsync("svc", default)).Entries.Length);
        Assert.Equal(4, registry.Lookups);
    }

    [Fact]
    public void The_refresh_backoff_is_zero_after_news_then_doubles_with_equal_jitter_up_to_its_maximum()
    {
        Assert.Equal(TimeSpan.Zero, DiscoveryCache.RefreshBackoff(0, 0.5));
        Assert.Equal(125, DiscoveryCache.RefreshBackoff(1, 0).TotalMilliseconds, 0);
        Assert.Equal(250, DiscoveryCache.RefreshBackoff(1, 1).TotalMilliseconds, 0);
        Assert.Equal(500, DiscoveryCache.RefreshBackoff(2, 1).TotalMilliseconds, 0);
        Assert.Equal(1000, DiscoveryCache.RefreshBackoff(20, 1).TotalMilliseconds, 0);
    }

    [Fact]
    public async Task A_thousand_concurrent_failing_calls_make_a_small_bounded_number_of_lookups()
    {
        await using var mesh = await ProbeMesh.StartAsync(2);
        foreach (var p in mesh.Providers)
        {
            p.Transport.Faults.NoResponders = true;
        }

        var probe = mesh.CreateClient();
        long before = mesh.Client.Discovery.Misses;
        var calls = Enumerable.Range(0, 1000).Select(_ => probe.WhoAsync().AsTask()).ToList();
        foreach (var call in calls)
        {
            await Assert.ThrowsAsync<MaculaRpcException>(() => call.WaitAsync(TimeSpan.FromMinutes(2)));
        }

        // Without single-flight and backoff each failed call looked up once or twice (the probe: 158,548 lookups for
        // 99,962 calls). Now: the first lookup, one afresh after the failures, and a few as the backoff runs out.
        long lookups = mesh.Client.Discovery.Misses - before;
        Assert.InRange(lookups, 1, 10);
    }
}
