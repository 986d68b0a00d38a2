using System.Diagnostics;
using System.Globalization;
using System.Text;
using Macula.Benchmarks.Harness;
using Macula.Benchmarks.Rpc;
using Macula.Nats;
using Macula.Transport.InMemory;

namespace Macula.Benchmarks.Local;

/// <summary>
/// <c>local</c>: a typed call to a provider of the caller's own node (the local fast path: in-process dispatch, the
/// arguments and the reply still serialized) against the same call to a provider of another node on the in-memory
/// mesh and over a real nats-server. Sequential calls of <c>AddAsync(20, 22)</c>, one client, warm caches; the
/// figures are medians over rounds of the per-round percentiles.
/// </summary>
internal static class LocalCallBenchmark
{
    /// <summary>How long each path is warmed up at least.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = 5;
        int samples = 20_000;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--n": samples = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown local option '{args[i]}'. Options: --rounds N --n N.");
            }
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        string loadBefore = Stats.LoadAverage();
        var wall = Stopwatch.StartNew();
        try
        {
            var network = new InMemoryNetwork();
            await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "local-provider", Realm = "local" }, deadline.Token).ConfigureAwait(false);
            await provider.ProvideAsync<IBenchService>(new BenchService()).ConfigureAwait(false);
            await using var remote = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "local-client", Realm = "local" }, deadline.Token).ConfigureAwait(false);
            var local = await MeasureAsync(provider.CreateClient<IBenchService>(), rounds, samples).ConfigureAwait(false);
            var mesh = await MeasureAsync(remote.CreateClient<IBenchService>(), rounds, samples).ConfigureAwait(false);

            using var server = await NatsServer.StartAsync(deadline.Token).ConfigureAwait(false);
            await using var natsProvider = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new NatsTransport(server.Url), NodeId = "nats-provider", Realm = "local" }, deadline.Token).ConfigureAwait(false);
            await natsProvider.ProvideAsync<IBenchService>(new BenchService()).ConfigureAwait(false);
            await using var natsClient = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new NatsTransport(server.Url), NodeId = "nats-client", Realm = "local" }, deadline.Token).ConfigureAwait(false);
            var nats = await MeasureAsync(natsClient.CreateClient<IBenchService>(), rounds, Math.Min(samples, 5_000)).ConfigureAwait(false);

            var inv = CultureInfo.InvariantCulture;
            var text = new StringBuilder();
            text.AppendLine();
            text.AppendLine(inv, $"local: AddAsync(20, 22), sequential, {samples} calls per round ({Math.Min(samples, 5_000)} over NATS), {rounds} rounds, medians over rounds");
            text.AppendLine(inv, $".NET {Environment.Version}; {Environment.ProcessorCount} cores; load average {loadBefore} before, {Stats.LoadAverage()} after; {wall.Elapsed.TotalSeconds:0} s");
            text.AppendLine();
            text.AppendLine("| path | p50 (us) | lowest round p50 (us) | p90 (us) | p99 (us) | goal |");
            text.AppendLine("|---|---:|---:|---:|---:|---|");
            text.AppendLine(inv, $"| local (same node, in-process) | {local.P50:0.00} | {local.BestP50:0.00} | {local.P90:0.00} | {local.P99:0.00} | p50 <= 5 us: {(local.P50 <= 5 ? "met" : "MISSED")} |");
            text.AppendLine(inv, $"| in-memory mesh (another node) | {mesh.P50:0.00} | {mesh.BestP50:0.00} | {mesh.P90:0.00} | {mesh.P99:0.00} | |");
            text.AppendLine(inv, $"| nats-server {server.Version} (another node) | {nats.P50:0.00} | {nats.BestP50:0.00} | {nats.P90:0.00} | {nats.P99:0.00} | |");
            Console.WriteLine(text.ToString());
            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Console.Error.WriteLine("local: stopped after 5 minutes.");
            return 2;
        }
        finally
        {
            ChildProcesses.StopAll();
        }
    }

    private static async Task<(double P50, double BestP50, double P90, double P99)> MeasureAsync(IBenchService proxy, int rounds, int samples)
    {
        // Discovery and JIT before the first timed call. By time, not only by count: 2,000 local calls take about 10 ms,
        // less than tiered compilation waits before it recompiles hot methods (100 ms after the last new method), so a
        // count alone measured the first round on unoptimised code (16 us instead of 6 for the local path).
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 2_000 || warm.Elapsed < WarmUp; i++)
        {
            await proxy.AddAsync(i, 1).ConfigureAwait(false);
        }

        var p50 = new List<double>();
        var p90 = new List<double>();
        var p99 = new List<double>();
        var micros = new double[samples];
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < samples; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await proxy.AddAsync(20, 22).ConfigureAwait(false);
                micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }

            Array.Sort(micros);
            p50.Add(Stats.Percentile(micros, 50));
            p90.Add(Stats.Percentile(micros, 90));
            p99.Add(Stats.Percentile(micros, 99));
        }

        return (Stats.Median(p50), p50.Min(), Stats.Median(p90), Stats.Median(p99));
    }
}
