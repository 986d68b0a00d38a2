using Macula.Discovery;
using Macula.Health;
using Macula.Rpc;
using Macula.Rpc.Client;

namespace Macula.Tests.Rpc;

public sealed class SelectorTests
{
    private static readonly SelectionStrategy[] AllStrategies = Enum.GetValues<SelectionStrategy>();

    private static ProviderEntry[] Providers(int n, string service = "svc")
    {
        var table = new HealthTable(CircuitBreakerOptions.Default, TimeProvider.System);
        return Enumerable.Range(0, n)
            .Select(i => new ProviderEntry(new ProviderRecord($"n{i}", $"macula.r.rpc.{service}.n{i}", new Dictionary<string, string>(), TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow), table.Get(service, $"n{i}")))
            .ToArray();
    }

    [Theory]
    [InlineData(SelectionStrategy.First)]
    [InlineData(SelectionStrategy.Random)]
    [InlineData(SelectionStrategy.RoundRobin)]
    [InlineData(SelectionStrategy.LeastOutstanding)]
    [InlineData(SelectionStrategy.LatencyAware)]
    public void Empty_list_selects_nothing(SelectionStrategy strategy)
    {
        long rr = 0;
        Assert.Equal(-1, ProviderSelector.Select(strategy, [], null, ref rr));
    }

    [Theory]
    [InlineData(SelectionStrategy.First)]
    [InlineData(SelectionStrategy.Random)]
    [InlineData(SelectionStrategy.RoundRobin)]
    [InlineData(SelectionStrategy.LeastOutstanding)]
    [InlineData(SelectionStrategy.LatencyAware)]
    public void Single_provider_is_always_selected(SelectionStrategy strategy)
    {
        var one = Providers(1);
        long rr = 0;
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(0, ProviderSelector.Select(strategy, one, null, ref rr));
        }
    }

    [Fact]
    public void First_is_deterministic()
    {
        var ps = Providers(5);
        long rr = 0;
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(0, ProviderSelector.Select(SelectionStrategy.First, ps, null, ref rr)));
    }

    [Fact]
    public void Random_stays_in_range_and_within_5_percent_of_even()
    {
        var ps = Providers(3);
        long rr = 0;
        var counts = new int[3];
        const int calls = 30_000;
        for (int i = 0; i < calls; i++)
        {
            int pick = ProviderSelector.Select(SelectionStrategy.Random, ps, null, ref rr);
            Assert.InRange(pick, 0, 2);
            counts[pick]++;
        }

        Assert.All(counts, c => Assert.InRange(c, calls / 3 * 0.95, calls / 3 * 1.05));
    }

    [Fact]
    public void Round_robin_cycles_and_its_counter_increments()
    {
        var ps = Providers(3);
        long rr = 0;
        var picks = Enumerable.Range(0, 7).Select(_ => ProviderSelector.Select(SelectionStrategy.RoundRobin, ps, null, ref rr)).ToArray();
        Assert.Equal(new[] { 0, 1, 2, 0, 1, 2, 0 }, picks);
        Assert.Equal(7, rr);
    }

    [Fact]
    public void Round_robin_skips_excluded_providers()
    {
        var ps = Providers(3);
        long rr = 0;
        var excluded = new List<string> { "n1" };
        var picks = Enumerable.Range(0, 4).Select(_ => ProviderSelector.Select(SelectionStrategy.RoundRobin, ps, excluded, ref rr)).ToArray();
        Assert.DoesNotContain(1, picks);
    }

    [Fact]
    public void Exclusion_leaves_nothing_when_all_are_excluded()
    {
        var ps = Providers(2);
        long rr = 0;
        Assert.Equal(-1, ProviderSelector.Select(SelectionStrategy.Random, ps, ["n0", "n1"], ref rr));
        Assert.Equal(1, ProviderSelector.Select(SelectionStrategy.First, ps, ["n0"], ref rr));
    }

    [Fact]
    public async Task Round_robin_counters_are_independent_per_service()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        var a = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        var b = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });

        var fromA = new List<string> { await a.WhoAsync(), await a.WhoAsync() };
        var fromB = await b.WhoAsync();

        Assert.Equal("p0", fromA[0]);
        Assert.Equal("p1", fromA[1]);
        Assert.Equal("p0", fromB);
    }

    [Fact]
    public void Default_strategy_is_random()
    {
        Assert.Equal(SelectionStrategy.Random, new ClientOptions().Strategy);
        Assert.Equal(SelectionStrategy.Random, default(SelectionStrategy));
    }

    [Fact]
    public async Task Round_robin_spreads_3000_calls_1000_each()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        for (int i = 0; i < 3000; i++)
        {
            await probe.AddAsync(i, 1);
        }

        Assert.All(mesh.Providers, p => Assert.Equal(1000, p.Impl.Calls));
    }

    [Fact]
    public void Least_outstanding_prefers_the_provider_with_fewer_calls_in_flight()
    {
        var ps = Providers(3);
        for (int i = 0; i < 10; i++)
        {
            ps[2].Health.OnStart();
        }

        long rr = 0;
        int toBusy = 0;
        for (int i = 0; i < 3000; i++)
        {
            if (ProviderSelector.Select(SelectionStrategy.LeastOutstanding, ps, null, ref rr) == 2)
            {
                toBusy++;
            }
        }

        Assert.Equal(0, toBusy);
    }

    [Fact]
    public async Task Least_outstanding_sends_less_to_a_slow_provider()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        mesh.Providers[2].Transport.Faults.Delay = TimeSpan.FromMilliseconds(50);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.LeastOutstanding });

        var calls = Enumerable.Range(0, 16).Select(async _ =>
        {
            for (int i = 0; i < 25; i++)
            {
                await probe.WhoAsync();
            }
        });
        await Task.WhenAll(calls);

        int slow = mesh.Providers[2].Impl.Calls;
        int fast = Math.Min(mesh.Providers[0].Impl.Calls, mesh.Providers[1].Impl.Calls);
        Assert.True(slow < fast, $"slow provider got {slow}, fast ones at least {fast}");
    }

    [Fact]
    public void Latency_aware_prefers_the_faster_provider()
    {
        var ps = Providers(2);
        for (int i = 0; i < 5; i++)
        {
            ps[0].Health.OnStart();
            ps[0].Health.OnSuccess(TimeSpan.FromMilliseconds(50));
            ps[1].Health.OnStart();
            ps[1].Health.OnSuccess(TimeSpan.FromMilliseconds(1));
        }

        long rr = 0;
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(1, ProviderSelector.Select(SelectionStrategy.LatencyAware, ps, null, ref rr)));
    }

    [Fact]
    public void Selection_allocates_nothing()
    {
        var ps = Providers(5);
        long rr = 0;
        foreach (var s in AllStrategies)
        {
            ProviderSelector.Select(s, ps, null, ref rr);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            foreach (var s in AllStrategies)
            {
                ProviderSelector.Select(s, ps, null, ref rr);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
