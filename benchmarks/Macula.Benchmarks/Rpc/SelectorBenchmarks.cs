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
    private ClientRouting _routing = null!;
    private MethodDescriptor _method = null!;
    private IProviderSelector _selector = null!;
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
            // Routing fields as a provider advertises them: a version, one of two zones, the contract.
            var metadata = new Dictionary<string, string>
            {
                ["macula.version"] = "2.1.0",
                ["macula.zone"] = i % 2 == 0 ? "z1" : "z2",
                ["macula.contract"] = "AddAsync=3225419f,EchoAsync=0a1b2c3d",
            };
            var record = new ProviderRecord(nodeId, "macula.default.rpc.bench." + nodeId, metadata, TimeSpan.FromMinutes(5), now);
            var health = new ProviderHealth("bench", nodeId, CircuitBreakerOptions.Default, TimeProvider.System);
            health.OnStart();
            health.OnSuccess(TimeSpan.FromMilliseconds(0.2 + (0.01 * i)));
            _providers[i] = new ProviderEntry(record, health);
        }

        // The second attempt of a failover: the first provider is excluded.
        _excluded = [_providers[0].NodeId];
        _routing = ClientRouting.Of(new ClientOptions { VersionRange = "^2.0", PreferredZone = "z1" }, null);
        _method = new MethodDescriptor("AddAsync", 0) { Fingerprint = "3225419f" };
        _selector = ProviderSelectors.For(Strategy);
    }

    [Benchmark(Baseline = true)]
    public int FirstAttempt() => ProviderSelector.Select(Strategy, _providers, null, ref _roundRobin);

    [Benchmark]
    public int AfterOneFailure() => ProviderSelector.Select(Strategy, _providers, _excluded, ref _roundRobin);

    /// <summary>A first attempt of a client with routing: contract check, version range <c>^2.0</c>, zone <c>z1</c> preferred (half the providers).</summary>
    [Benchmark]
    public int Routed() => ProviderSelector.Select(_selector, _routing, _method, "bench", _providers, null, null, ref _roundRobin, out _);
}
