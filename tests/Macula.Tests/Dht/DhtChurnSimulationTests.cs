using Macula.Discovery;
using Macula.Transport.InMemory;
using Xunit.Abstractions;

namespace Macula.Tests.Dht;

/// <summary>
/// Hundreds of DHT nodes on one in-memory network, every one joined through the bootstrap subject alone: services
/// are advertised and found, then 30% of the nodes crash without withdrawing anything.
/// </summary>
public sealed class DhtChurnSimulationTests : IAsyncLifetime
{
    private const int NodeCount = 500;
    private const int ServiceCount = 50;
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(300);

    private readonly ITestOutputHelper _output;
    private readonly InMemoryNetwork _network = new();
    private readonly ManualTimeProvider _time = new();
    private readonly (InMemoryTransport Transport, DhtServiceRegistry Registry)[] _nodes = new (InMemoryTransport, DhtServiceRegistry)[NodeCount];

    public DhtChurnSimulationTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (transport, registry) in _nodes)
        {
            if (registry is not null)
            {
                await registry.DisposeAsync();
                await transport.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Lookups_find_every_live_provider_before_and_after_30_percent_of_the_nodes_crash()
    {
        var options = DhtOptions.Default with { RequestTimeout = TimeSpan.FromSeconds(5), Mode = DhtMode.Server };
        var random = new Random(20250101);
        var started = DateTime.UtcNow;

        // Join in batches: each batch bootstraps concurrently off the nodes already in.
        await StartNodeAsync(0, options);
        const int batch = 25;
        for (int first = 1; first < NodeCount; first += batch)
        {
            var joining = new List<Task>();
            for (int i = first; i < Math.Min(first + batch, NodeCount); i++)
            {
                joining.Add(StartNodeAsync(i, options));
            }

            await Task.WhenAll(joining);
        }

        _output.WriteLine($"{NodeCount} nodes joined in {(DateTime.UtcNow - started).TotalSeconds:0.0} s ({System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:0.0} s CPU), {_nodes.Sum(n => n.Registry.Statistics.RequestsSent)} requests; routing table sizes {_nodes.Min(n => n.Registry.RoutingTableCount)}..{_nodes.Max(n => n.Registry.RoutingTableCount)}");
        Assert.All(_nodes, n => Assert.True(n.Registry.RoutingTableCount >= options.K));

        // 50 services with 1 to 5 providers each.
        var providers = new Dictionary<string, List<int>>();
        var advertising = new List<Task>();
        for (int s = 0; s < ServiceCount; s++)
        {
            string service = $"svc{s}";
            var chosen = Enumerable.Range(0, NodeCount).OrderBy(_ => random.Next()).Take(random.Next(1, 6)).ToList();
            providers[service] = chosen;
            foreach (int p in chosen)
            {
                advertising.Add(Advertise(p, service).AsTask());
            }
        }

        await Task.WhenAll(advertising);

        var before = await LookupAllAsync(providers, random, alive: _ => true);
        _output.WriteLine($"before the crash: {before.Found}/{before.Total} lookups found every provider");
        Assert.Equal(before.Total, before.Found);

        // 30% of the nodes crash: no withdrawal, no goodbye.
        var dead = new HashSet<int>(Enumerable.Range(0, NodeCount).OrderBy(_ => random.Next()).Take(NodeCount * 3 / 10));
        foreach (int d in dead)
        {
            _nodes[d].Transport.Kill();
        }

        var after = await LookupAllAsync(providers, random, alive: i => !dead.Contains(i));
        _output.WriteLine($"after 30% crashed: {after.Found}/{after.Total} lookups found every live provider");
        Assert.True(after.Found >= after.Total * 0.99, $"{after.Found}/{after.Total}");

        // Live providers re-advertise before their TTL runs out; the crashed ones cannot, and age out.
        _time.Advance(Ttl / 2);
        var readvertising = new List<Task>();
        foreach (var (service, nodes) in providers)
        {
            foreach (int p in nodes.Where(p => !dead.Contains(p)))
            {
                readvertising.Add(Advertise(p, service).AsTask());
            }
        }

        await Task.WhenAll(readvertising);
        _time.Advance((Ttl / 2) + TimeSpan.FromSeconds(1));

        int exact = 0;
        foreach (var (service, nodes) in providers)
        {
            var asker = _nodes[RandomLive(random, dead)].Registry;
            var found = (await asker.LookupAsync(service, default)).Select(r => r.NodeId).ToList();
            var expected = nodes.Where(p => !dead.Contains(p)).Select(NodeId).Order(StringComparer.Ordinal).ToList();
            Assert.DoesNotContain(found, id => dead.Contains(int.Parse(id.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture)));
            if (found.SequenceEqual(expected))
            {
                exact++;
            }
        }

        _output.WriteLine($"after the TTL: {exact}/{ServiceCount} lookups returned exactly the live providers; total {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        Assert.True(exact >= ServiceCount * 0.98, $"{exact}/{ServiceCount}");
    }

    private static string NodeId(int i) => $"node-{i}";

    private static int RandomLive(Random random, HashSet<int> dead)
    {
        while (true)
        {
            int i = random.Next(NodeCount);
            if (!dead.Contains(i))
            {
                return i;
            }
        }
    }

    private async Task StartNodeAsync(int i, DhtOptions options)
    {
        var transport = _network.CreateTransport();
        var registry = await DhtServiceRegistry.StartAsync(transport, "sim", NodeId(i), options, default, _time);
        _nodes[i] = (transport, registry);
    }

    private ValueTask Advertise(int provider, string service)
    {
        var record = new ProviderRecord(NodeId(provider), $"macula.sim.rpc.{service}.{NodeId(provider)}", new Dictionary<string, string>(), Ttl, _time.GetUtcNow());
        return Registry(provider).AdvertiseAsync(service, record, default);
    }

    private DhtServiceRegistry Registry(int i) => _nodes[i].Registry;

    private async Task<(int Found, int Total)> LookupAllAsync(Dictionary<string, List<int>> providers, Random random, Func<int, bool> alive)
    {
        int found = 0;
        int total = 0;
        var dead = new HashSet<int>(Enumerable.Range(0, NodeCount).Where(i => !alive(i)));
        foreach (var (service, nodes) in providers)
        {
            var expected = nodes.Where(alive).Select(NodeId).ToHashSet();
            for (int attempt = 0; attempt < 4; attempt++)
            {
                var asker = _nodes[RandomLive(random, dead)].Registry;
                var result = await asker.LookupAsync(service, default);
                total++;
                if (expected.IsSubsetOf(result.Select(r => r.NodeId)))
                {
                    found++;
                }
            }
        }

        return (found, total);
    }
}
