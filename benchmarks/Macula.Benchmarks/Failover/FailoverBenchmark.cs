using System.Diagnostics;
using System.Globalization;
using System.Text;
using Macula.Benchmarks.Harness;
using Macula.Benchmarks.Rpc;
using Macula.Nats;
using Macula.Rpc;
using Macula.Transport;
using Macula.Transport.InMemory;

namespace Macula.Benchmarks.Failover;

/// <summary>
/// <c>failover</c>: what a call pays when the provider it picks first is dead (one of three), on the in-memory mesh
/// and over a real nats-server, where the dead provider's subject has no subscriber and the server answers "no
/// responders" at once.
/// </summary>
/// <remarks>
/// <para>
/// Method. Three providers, node ids sorted so that the dead one comes first, and a client with
/// <see cref="SelectionStrategy.First"/>: every measured call picks the dead provider first, fails, and fails over to
/// the second. The client evicts a provider from its discovery cache after a no-responders failure, and its circuit
/// breaker would stop choosing it after a few failures, so each measured call would otherwise be the last to pay.
/// To measure every call's cost: before each call (not timed) the client's discovery cache is refreshed from the DHT,
/// which still holds the dead provider's record (it crashed, nothing withdrew it), so each call starts from the state
/// any client is in between the crash and its first failed attempt; and the client's circuit breaker threshold is
/// set out of reach.
/// </para>
/// <para>
/// The baseline is measured the same way, interleaved call by call: refresh (not timed), evict the dead provider
/// (not timed), then the timed call, which goes straight to the second provider. Extra latency = failover percentile
/// minus baseline percentile, per round; the figures are medians over rounds.
/// </para>
/// </remarks>
internal static class FailoverBenchmark
{
    private const string DeadId = "fo-a-dead";

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = 3;
        int samples = 1000;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--n": samples = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown failover option '{args[i]}'. Options: --rounds N --n N.");
            }
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var wall = Stopwatch.StartNew();
        string loadBefore = Stats.LoadAverage();
        try
        {
            var inMemory = await MeasureAsync("in-memory", () => new InMemoryMeshFactory(), rounds, samples, deadline.Token).ConfigureAwait(false);
            using var server = await NatsServer.StartAsync(deadline.Token).ConfigureAwait(false);
            var nats = await MeasureAsync($"nats-server {server.Version}", () => new NatsMeshFactory(server.Url), rounds, samples, deadline.Token).ConfigureAwait(false);

            var text = new StringBuilder();
            var inv = CultureInfo.InvariantCulture;
            text.AppendLine();
            text.AppendLine(inv, $"failover: 3 providers, the first one picked is dead; {samples} calls of each kind per round, {rounds} rounds, medians over rounds");
            text.AppendLine(inv, $".NET {Environment.Version}; {Environment.ProcessorCount} cores; load average {loadBefore} before, {Stats.LoadAverage()} after; {wall.Elapsed.TotalSeconds:0} s");
            text.AppendLine();
            text.AppendLine("| mesh | normal call p50 (us) | normal call p99 (us) | failover call p50 (us) | failover call p99 (us) | extra p50 (us) | extra p99 (us) | goal (extra p50) |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
            Row(text, inMemory, 1000);
            Row(text, nats, 2000);
            text.AppendLine();
            text.AppendLine("The original system failed over only after its call timeout: 30,000,000 us (30 s) extra by default.");
            Console.WriteLine(text.ToString());
            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Console.Error.WriteLine("failover: stopped after 5 minutes.");
            return 2;
        }
        finally
        {
            ChildProcesses.StopAll();
        }
    }

    private static void Row(StringBuilder text, Result r, double goalUs)
    {
        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        string verdict = r.ExtraP50 <= goalUs ? "met" : "MISSED";
        text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Mesh} | {F(r.NormalP50)} | {F(r.NormalP99)} | {F(r.FailoverP50)} | {F(r.FailoverP99)} | {F(r.ExtraP50)} | {F(r.ExtraP99)} | <= {goalUs / 1000:0} ms: {verdict} |");
    }

    private static async Task<Result> MeasureAsync(string mesh, Func<IMeshFactory> create, int rounds, int samples, CancellationToken cancellationToken)
    {
        await using var factory = create();
        var failovers = new Counter();
        var providers = new List<MaculaNode>();
        MaculaNode? client = null;
        try
        {
            foreach (string id in new[] { DeadId, "fo-b", "fo-c" })
            {
                providers.Add(await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = factory.Create(), NodeId = id, Realm = "failover" }, cancellationToken).ConfigureAwait(false));
            }

            client = await MaculaNode.StartAsync(new MaculaNodeOptions
            {
                Transport = factory.Create(),
                NodeId = "fo-client",
                Realm = "failover",
                CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = int.MaxValue },
                OnEvent = e =>
                {
                    if (e.Kind == MaculaEventKind.Failover)
                    {
                        Interlocked.Increment(ref failovers.Value);
                    }
                },
            }, cancellationToken).ConfigureAwait(false);
            var proxy = client.CreateClient<IBenchService>(new ClientOptions { Strategy = SelectionStrategy.First });
            var discovery = client.Discovery;

            // Advertise once every node knows the others, so each record is stored on every node, not only on its
            // provider: the dead provider's record must outlive it, as it does in a real mesh of more than K nodes.
            var waited = Stopwatch.StartNew();
            foreach (var node in providers.Append(client))
            {
                while (node.GetDhtStats().RoutingTableContacts < 3)
                {
                    if (waited.Elapsed > TimeSpan.FromSeconds(20))
                    {
                        throw new TimeoutException("The 4 nodes did not all find each other in the DHT within 20 s.");
                    }

                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var node in providers)
            {
                await node.ProvideAsync<IBenchService>(new BenchService(), cancellationToken).ConfigureAwait(false);
            }

            while ((await discovery.RefreshAsync("bench", cancellationToken).ConfigureAwait(false)).Entries.Length < 3)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(20))
                {
                    throw new TimeoutException("The client did not discover the 3 providers within 20 s.");
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            await factory.KillAsync(providers[0]).ConfigureAwait(false);
            Console.WriteLine($"failover ({mesh}): 3 providers, {DeadId} killed");

            var normal = new double[samples];
            var failover = new double[samples];
            var results = new List<(double NP50, double NP99, double FP50, double FP99)>();
            for (int round = 0; round <= rounds; round++)
            {
                // Round 0 is the warm-up.
                long failoversBefore = Interlocked.Read(ref failovers.Value);
                int n = round == 0 ? Math.Min(300, samples) : samples;
                for (int i = 0; i < n; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    normal[i] = await TimedCallAsync(proxy, discovery, evictDead: true, cancellationToken).ConfigureAwait(false);
                    failover[i] = await TimedCallAsync(proxy, discovery, evictDead: false, cancellationToken).ConfigureAwait(false);
                }

                long seen = Interlocked.Read(ref failovers.Value) - failoversBefore;
                if (seen != n)
                {
                    throw new InvalidOperationException($"Expected {n} failovers (one per failover call, none per normal call), saw {seen}: the method is broken.");
                }

                if (round == 0)
                {
                    continue;
                }

                var ns = normal[..n];
                var fs = failover[..n];
                Array.Sort(ns);
                Array.Sort(fs);
                var r = (Stats.Percentile(ns, 50), Stats.Percentile(ns, 99), Stats.Percentile(fs, 50), Stats.Percentile(fs, 99));
                results.Add(r);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round}: normal p50 {r.Item1:0.0} us p99 {r.Item2:0.0} us; failover p50 {r.Item3:0.0} us p99 {r.Item4:0.0} us; extra p50 {r.Item3 - r.Item1:0.0} us p99 {r.Item4 - r.Item2:0.0} us"));
            }

            return new Result(
                mesh,
                Stats.Median(results.Select(r => r.NP50)),
                Stats.Median(results.Select(r => r.NP99)),
                Stats.Median(results.Select(r => r.FP50)),
                Stats.Median(results.Select(r => r.FP99)),
                Stats.Median(results.Select(r => r.FP50 - r.NP50)),
                Stats.Median(results.Select(r => r.FP99 - r.NP99)));
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var node in providers)
            {
                try
                {
                    await node.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is MaculaTransportException or TimeoutException or ObjectDisposedException)
                {
                    // The killed provider cannot withdraw; that is the point.
                }
            }
        }
    }

    private static async Task<double> TimedCallAsync(IBenchService proxy, Discovery.DiscoveryCache discovery, bool evictDead, CancellationToken cancellationToken)
    {
        var set = await discovery.RefreshAsync("bench", cancellationToken).ConfigureAwait(false);
        if (set.Entries.Length != 3 || set.Entries[0].NodeId != DeadId)
        {
            throw new InvalidOperationException($"The refreshed provider list should hold the dead provider first, of 3; it holds {string.Join(", ", set.Entries.Select(e => e.NodeId))}.");
        }

        if (evictDead)
        {
            discovery.Evict("bench", DeadId);
        }

        long started = Stopwatch.GetTimestamp();
        int sum = await proxy.AddAsync(20, 22, cancellationToken).ConfigureAwait(false);
        double us = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        if (sum != 42)
        {
            throw new InvalidOperationException("AddAsync returned a wrong sum.");
        }

        return us;
    }

    private sealed record Result(string Mesh, double NormalP50, double NormalP99, double FailoverP50, double FailoverP99, double ExtraP50, double ExtraP99);

    private sealed class Counter
    {
        public long Value;
    }

    private interface IMeshFactory : IAsyncDisposable
    {
        IMaculaTransport Create();

        /// <summary>Makes the node's process as good as crashed: its subscriptions vanish, nothing is withdrawn.</summary>
        Task KillAsync(MaculaNode node);
    }

    private sealed class InMemoryMeshFactory : IMeshFactory
    {
        private readonly InMemoryNetwork _network = new();

        public IMaculaTransport Create() => _network.CreateTransport();

        public Task KillAsync(MaculaNode node)
        {
            ((InMemoryTransport)node.Transport).Kill();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class NatsMeshFactory(string url) : IMeshFactory
    {
        public IMaculaTransport Create() => new NatsTransport(url);

        /// <summary>Closing the node's own connection is what the server sees when its process dies: the socket closes and its subscriptions go.</summary>
        public async Task KillAsync(MaculaNode node)
        {
            await node.Transport.DisposeAsync().ConfigureAwait(false);

            // The server drops the subscriptions when it processes the close; wait until it answers no responders.
            var probe = new NatsTransport(url);
            await using (probe.ConfigureAwait(false))
            {
                await probe.ConnectAsync().ConfigureAwait(false);
                var waited = Stopwatch.StartNew();
                while (waited.Elapsed < TimeSpan.FromSeconds(10))
                {
                    try
                    {
                        await probe.RequestAsync($"macula.failover.rpc.bench.{DeadId}", ReadOnlyMemory<byte>.Empty, null, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                    }
                    catch (MaculaTransportException e) when (e.Kind == TransportErrorKind.NoResponders)
                    {
                        return;
                    }
                    catch (MaculaTransportException)
                    {
                        // Answered or timed out: not gone yet.
                    }

                    await Task.Delay(20).ConfigureAwait(false);
                }

                throw new TimeoutException("The killed provider's subject still had responders after 10 s.");
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
