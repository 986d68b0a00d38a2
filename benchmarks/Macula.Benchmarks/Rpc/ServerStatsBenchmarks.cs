using BenchmarkDotNet.Attributes;
using Macula.Monitoring;

namespace Macula.Benchmarks.Rpc;

/// <summary>
/// What the stats cost a provider per call (<c>Macula.Monitoring.ServerStats.Record</c>: the server duration
/// histogram and the node's 60 s window), and what answering one stats request costs (collect and encode).
/// </summary>
[MemoryDiagnoser]
public class ServerStatsBenchmarks
{
    private ServerStats _stats = null!;
    private NodeStatsSource _source = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stats = new ServerStats(TimeProvider.System);
        var methods = new[] { new Macula.Rpc.MethodDescriptor("AddAsync", 0), new Macula.Rpc.MethodDescriptor("EchoAsync", 1) };
        _source = new NodeStatsSource(
            "bench-1", "default", new Dictionary<string, string> { ["version"] = "1.0.0" }, DateTimeOffset.UtcNow, TimeProvider.System, _stats,
            () => [new ProvidedService("Bench", "macula.default.rpc.Bench.bench-1", methods)], () => [], () => new MaculaDhtStats(3, 1, 3, 0, 0, 0, 0));
        for (int i = 0; i < 10_000; i++)
        {
            _stats.Record("Bench", i % 2 == 0 ? "AddAsync" : "EchoAsync", _stats.Timestamp() - (i % 500), ServerCallOutcome.Ok, null);
        }
    }

    [Benchmark(Baseline = true)]
    public void RecordOneCall() => _stats.Record("Bench", "AddAsync", _stats.Timestamp(), ServerCallOutcome.Ok, null);

    [Benchmark]
    public int AnswerOneStatsRequest() => StatsCodec.WriteReply(_source.Collect(10)).Length;
}
