using BenchmarkDotNet.Running;

namespace Macula.Benchmarks;

/// <summary>
/// One entry point for every measurement:
/// <c>dht-sim</c> runs the DHT simulation, <c>e2e</c> Macula over nats-server beside its peers, <c>failover</c> the
/// cost of a call whose first provider is dead, <c>codec-ab</c> the codec comparisons interleaved, <c>lz4</c> what
/// compression does to bodies, <c>events</c> events/s fanned out to 1 and 10 subscribers, <c>startup</c> a provider process's start and footprint under Native AOT and JIT, <c>local</c> a call to a provider of the same node (the local fast path) against the mesh; anything else goes to BenchmarkDotNet's switcher
/// (e.g. <c>--filter *Codec*</c>).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0)
        {
            switch (args[0])
            {
                case "dht-sim":
                    return await Dht.DhtSimulation.RunAsync(args[1..]).ConfigureAwait(false);
                case "e2e":
                    return await E2e.E2eBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
                case "e2e-server":
                    return await E2e.ServerProcess.RunChildAsync(args[1..]).ConfigureAwait(false);
                case "failover":
                    return await Failover.FailoverBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
                case "stream": return await Streaming.StreamBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
                case "events":
                    return await Events.EventBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
                case "codec-ab":
                    return Codec.CodecInterleaved.Run(args[1..]);
                case "lz4":
                    return Codec.CompressionBenchmark.Run(args[1..]);
                case "selector-ab":
                    return Rpc.SelectorAb.Run();
                case "local":
                    return await Local.LocalCallBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
                case "startup":
                    return await Startup.StartupBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
            }
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
