using BenchmarkDotNet.Attributes;
using Macula.Transport.InMemory;

namespace Macula.Benchmarks.Rpc;

/// <summary>
/// The whole typed call path in one process: generated proxy, selection, MessagePack, in-memory transport, the
/// provider's dispatcher and back. <c>Allocated</c> is both sides of the call together (client and provider run in
/// this process); the e2e run measures the client side alone over NATS.
/// </summary>
[MemoryDiagnoser]
public class ProxyBenchmarks
{
    private MaculaNode _provider = null!;
    private MaculaNode _client = null!;
    private IBenchService _proxy = null!;
    private Document _document = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var network = new InMemoryNetwork();
        _provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "provider" });
        await _provider.ProvideAsync<IBenchService>(new BenchService());
        _client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "client" });
        _proxy = _client.CreateClient<IBenchService>();
        _document = BenchData.Document1K();

        // Discovery happens on the first call; the measured calls hit the cache.
        await _proxy.AddAsync(1, 2);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public Task<int> Add() => _proxy.AddAsync(20, 22);

    [Benchmark]
    public Task<Document> Echo1K() => _proxy.EchoAsync(_document);
}
