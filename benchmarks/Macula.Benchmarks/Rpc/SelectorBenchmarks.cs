using BenchmarkDotNet.Attributes;
using Macula.Discovery;
using Macula.Health;
using Macula.Rpc;
using Macula.Rpc.Client;

namespace Macula.Benchmarks.Rpc;

/// <summary>One provider selection per operation (<c>Macula.Rpc.ProviderSelector</c>), as each attempt of a call makes one.</summary>
[MemoryDiagnoser]
public class SelectorBenchmarks
{
    private ProviderEntry[] _providers = null!;
    private List<string> _excluded = null!;
    private long _roundRobin;

    [Params(3, 20)]
    public int Providers { get; set; }

    [Params(SelectionStrategy.First, SelectionStrategy.Random, SelectionStrategy.RoundRobin, SelectionStrategy.LeastOutstanding, SelectionStrategy.LatencyAware)]
    public SelectionStrategy Strategy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        _providers = new ProviderEntry[Providers];
        for (int i = 0; i < Providers; i++)
        {
            string nodeId = "node-" + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture);
            var record = new ProviderRecord(nodeId, "macula.default.rpc.bench." + nodeId, new Dictionary<string, string>(), TimeSpan.FromMinutes(5), now);
            var health = new ProviderHealth("bench", nodeId, CircuitBreakerOptions.Default, TimeProvider.System);
            health.OnStart();
            health.OnSuccess(TimeSpan.FromMilliseconds(0.2 + (0.01 * i)));
            _providers[i] = new ProviderEntry(record, health);
        }

        // The second attempt of a failover: the first provider is excluded.
        _excluded = [_providers[0].NodeId];
    }

    [Benchmark(Baseline = true)]
    public int FirstAttempt() => ProviderSelector.Select(Strategy, _providers, null, ref _roundRobin);

    [Benchmark]
    public int AfterOneFailure() => ProviderSelector.Select(Strategy, _providers, _excluded, ref _roundRobin);
}
