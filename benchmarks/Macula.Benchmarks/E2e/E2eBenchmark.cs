using System.Diagnostics;
using System.Globalization;
using System.Text;
using Macula.Benchmarks.Harness;
using Macula.Benchmarks.Rpc;
using Macula.Nats;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// <c>e2e</c>: Macula over a real nats-server side by side with its peers, in one run: raw request/reply with the Go
/// NATS client and with NATS.Client.Core on the same server, gRPC (Grpc.AspNetCore + Grpc.Net.Client), Orleans grain
/// calls, and an ASP.NET Core minimal API on Kestrel called with HttpClient. Rounds interleave the systems, so a change
/// in the machine's load hits all of them; each figure is the median over rounds.
/// </summary>
internal static class E2eBenchmark
{
    internal const string Macula = "Macula";
    internal const string MaculaCoalesced = "Macula coalesced";

    /// <summary>The suffix of the extra 1 KB rows that carry the DTO (<see cref="Document"/>) instead of 1024 raw bytes.</summary>
    internal const string DtoSuffix = " (1 KB DTO)";
    internal const string Go = "nats.go";
    internal const string AspNet = "ASP.NET Core";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = E2eOptions.Parse(args);
        using var deadline = new CancellationTokenSource(options.MaxDuration);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var wall = Stopwatch.StartNew();
        try
        {
            return await RunCoreAsync(options, cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Console.Error.WriteLine($"e2e: stopped after {wall.Elapsed.TotalSeconds:0} s, the limit of {options.MaxDuration.TotalMinutes:0.#} min (--max-minutes).");
            return 2;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A peer or a server failed: say which and why; the finally below stops every process the run started.
            Console.Error.WriteLine($"e2e: failed after {wall.Elapsed.TotalSeconds:0} s: {e}");
            return 1;
        }
        finally
        {
            ChildProcesses.StopAll();
        }
    }

    private static async Task<int> RunCoreAsync(E2eOptions options, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        var plan = new RoundPlan(options.Warmup, options.Sequential, options.Total, options.InFlight);
        string realm = "e2e" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        string loadBefore = Stats.LoadAverage();

        GoPeer? go = null;
        if (!options.SkipGo)
        {
            Console.WriteLine("e2e: preparing the Go peer (benchmarks/peers/natsgo) ...");
            go = await GoPeer.PrepareAsync(options.GoBinary, cancellationToken).ConfigureAwait(false);
        }

        using var goPeer = go;
        using var server = await NatsServer.StartAsync(cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"e2e: nats-server {server.Version} on {server.Url}");
        using var servers = await ServerProcess.StartAsync(server.Url, realm, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"e2e: provider node and Kestrel ({servers.HttpAddress}) in child process");

        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new NatsTransport(server.Url), Realm = realm, NodeId = "e2e-client" }, cancellationToken).ConfigureAwait(false);
        var proxy = client.CreateClient<IBenchService>();
        var document = BenchData.Document1K();
        byte[] payload = global::Macula.Benchmarks.Peers.Payload.Bytes(1024);
        await WaitForProviderAsync(proxy, cancellationToken).ConfigureAwait(false);

        // The same client with coalesced calls (NatsOptions.Coalescing), to the same provider: only a client decides
        // to send batches; every provider reads them and answers a batching client's calls in batches.
        await using var coalescingClient = options.Coalesce
            ? await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new NatsTransport(NatsOptions.Default with { Servers = [server.Url], Coalescing = true }), Realm = realm, NodeId = "e2e-client-coalescing" }, cancellationToken).ConfigureAwait(false)
            : null;
        var coalescing = coalescingClient?.CreateClient<IBenchService>();
        if (coalescing is not null)
        {
            await WaitForProviderAsync(coalescing, cancellationToken).ConfigureAwait(false);
        }
        Check((await proxy.EchoAsync(document, cancellationToken).ConfigureAwait(false)).Lines.Count == 16, "Macula echo");
        Check((await proxy.EchoBytesAsync(payload, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(payload), "Macula byte echo");

        using var http = AspNetPeer.CreateClient(servers.HttpAddress);
        Check(await AspNetPeer.AddAsync(http, 20, 22).ConfigureAwait(false) == 42, "HTTP add");
        Check((await AspNetPeer.EchoAsync(http, document).ConfigureAwait(false)).Lines.Count == 16, "HTTP echo");
        Check((await AspNetPeer.EchoBytesAsync(http, payload).ConfigureAwait(false)).AsSpan().SequenceEqual(payload), "HTTP byte echo");

        // JIT tiering settles in the first thousands of calls; the peers get as many calls before round 1 (E2ePeers).
        for (int i = 0; i < options.InitialWarmup; i++)
        {
            await proxy.AddAsync(1, 2, cancellationToken).ConfigureAwait(false);
            await proxy.EchoAsync(document, cancellationToken).ConfigureAwait(false);
            await proxy.EchoBytesAsync(payload, cancellationToken).ConfigureAwait(false);
            if (coalescing is not null)
            {
                await coalescing.AddAsync(1, 2, cancellationToken).ConfigureAwait(false);
                await coalescing.EchoAsync(document, cancellationToken).ConfigureAwait(false);
                await coalescing.EchoBytesAsync(payload, cancellationToken).ConfigureAwait(false);
            }
            await AspNetPeer.AddAsync(http, 1, 2).ConfigureAwait(false);
            await AspNetPeer.EchoAsync(http, document).ConfigureAwait(false);
            await AspNetPeer.EchoBytesAsync(http, payload).ConfigureAwait(false);
        }

        if (options.Profile)
        {
            await ProfileAsync(proxy, document, payload, cancellationToken).ConfigureAwait(false);
            return 0;
        }

        using var peers = await E2ePeers.StartAsync(options, server.Url, go, cancellationToken).ConfigureAwait(false);
        var results = new Dictionary<(string System, string Kind), List<Figures>>();
        for (int round = 1; round <= options.Rounds; round++)
        {
            Console.WriteLine($"e2e: round {round}/{options.Rounds} (load {Stats.LoadAverage()})");
            if (options.Wants("add"))
            {
                await MeasureAsync(results, Macula, "add", () => proxy.AddAsync(20, 22, cancellationToken), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                if (coalescing is not null)
                {
                    await MeasureAsync(results, MaculaCoalesced, "add", () => coalescing.AddAsync(20, 22, cancellationToken), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                }
                foreach (var peer in peers.All)
                {
                    Record(results, peer.Name, "add", await RunPeerAsync(peer, "add", plan, server.Process, cancellationToken).ConfigureAwait(false));
                }

                if (!options.SkipAspNet)
                {
                    await MeasureAsync(results, AspNet, "add", () => AspNetPeer.AddAsync(http, 20, 22), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                }
            }

            if (options.Wants("1k"))
            {
                // 1 KB: every system carries the same 1024 raw bytes; Macula's DTO echo follows as extra rows (DtoSuffix).
                await MeasureAsync(results, Macula, "1k", () => proxy.EchoBytesAsync(payload, cancellationToken), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                if (coalescing is not null)
                {
                    await MeasureAsync(results, MaculaCoalesced, "1k", () => coalescing.EchoBytesAsync(payload, cancellationToken), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                }

                if (!options.SkipDto)
                {
                    await MeasureAsync(results, Macula + DtoSuffix, "1k", () => proxy.EchoAsync(document, cancellationToken), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                    if (coalescing is not null)
                    {
                        await MeasureAsync(results, MaculaCoalesced + DtoSuffix, "1k", () => coalescing.EchoAsync(document, cancellationToken), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                    }
                }
                foreach (var peer in peers.All)
                {
                    Record(results, peer.Name, "1k", await RunPeerAsync(peer, "1k", plan, server.Process, cancellationToken).ConfigureAwait(false));
                }

                if (!options.SkipAspNet)
                {
                    await MeasureAsync(results, AspNet, "1k", () => AspNetPeer.EchoBytesAsync(http, payload), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                    if (!options.SkipDto)
                    {
                        await MeasureAsync(results, AspNet + DtoSuffix, "1k", () => AspNetPeer.EchoAsync(http, document), plan, servers.Process, server.Process, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(Report(results, options, server.Version, peers, loadBefore, Stats.LoadAverage(), wall.Elapsed));
        return 0;
    }

    /// <summary>Samples what the client side of Macula calls allocates, by type (<c>--profile</c>).</summary>
    private static async Task ProfileAsync(IBenchService proxy, Document document, byte[] payload, CancellationToken cancellationToken)
    {
        foreach (var (name, call) in new (string, Func<Task>)[] { ("add", () => proxy.AddAsync(20, 22, cancellationToken)), ("1k", () => proxy.EchoBytesAsync(payload, cancellationToken)), ("1k DTO", () => proxy.EchoAsync(document, cancellationToken)) })
        {
            using var sampler = new AllocationSampler();
            const int Calls = 40_000;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            sampler.Start();
            for (int i = 0; i < Calls; i++)
            {
                await call().ConfigureAwait(false);
            }

            sampler.Stop();
            long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {(double)bytes / Calls:0} B/call over {Calls} sequential calls; sampled types (share of ~100 KB samples, estimated B/call):"));
            foreach (var (type, sampled, samples) in sampler.Top(25))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(double)sampled / Calls,7:0.0} B/call  {samples,5} samples  {type}"));
            }
        }
    }

    private static async Task MeasureAsync(Dictionary<(string, string), List<Figures>> results, string system, string kind, Func<Task> call, RoundPlan plan, Process serverProcess, Process broker, CancellationToken cancellationToken)
    {
        var figures = await CallLoop.MeasureAsync(call, plan, cancellationToken).ConfigureAwait(false);
        using var self = Process.GetCurrentProcess();
        var cpu = CpuMeter.Start(self, serverProcess, broker);
        await CallLoop.MeasureAsync(call, plan.ConcurrentOnly, cancellationToken).ConfigureAwait(false);
        Record(results, system, kind, figures with { Cpu = cpu.PerCall(plan.ConcurrentOnly.Calls) });
    }

    private static async Task<Figures> RunPeerAsync(ProcessPeer peer, string kind, RoundPlan plan, Process broker, CancellationToken cancellationToken)
    {
        var figures = await peer.RunAsync(kind, plan, cancellationToken).ConfigureAwait(false);
        var cpu = await peer.MeasureCpuAsync(kind, plan.ConcurrentOnly, broker, cancellationToken).ConfigureAwait(false);
        return figures with { Cpu = cpu };
    }

    private static void Record(Dictionary<(string, string), List<Figures>> results, string system, string kind, Figures figures)
    {
        if (!results.TryGetValue((system, kind), out var list))
        {
            results[(system, kind)] = list = [];
        }

        list.Add(figures);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {system,-16} {kind,-4} p50 {figures.P50Us,8:0.0} us  p99 {figures.P99Us,8:0.0} us  {figures.CallsPerSecond,9:0} calls/s  {Bytes(figures.BytesPerCall),6} B/call (c=1)  {Bytes(figures.BytesPerCallConcurrent),6} B/call (c=64)  first {Bytes(figures.FirstWindowP50Us),5} us / rest {Bytes(figures.RestP50Us),5} us  cpu {Bytes(figures.Cpu?.ClientUs ?? double.NaN)}+{Bytes(figures.Cpu?.ServerUs ?? double.NaN)}+{Bytes(figures.Cpu?.BrokerUs ?? double.NaN)} us/call"));
    }

    private static async Task WaitForProviderAsync(IBenchService proxy, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Check(await proxy.AddAsync(20, 22, cancellationToken).ConfigureAwait(false) == 42, "Macula add");
                return;
            }
            catch (MaculaRpcException e) when (e.Code == MaculaErrorCode.ServiceNotFound && waited.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"{what} returned a wrong result.");
        }
    }

    private static string Report(Dictionary<(string System, string Kind), List<Figures>> results, E2eOptions options, string natsVersion, E2ePeers peers, string loadBefore, string loadAfter, TimeSpan wall)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"e2e results: medians of {options.Rounds} rounds (ratios: median of the per-round ratios); per round {options.Warmup} warm-up calls, {options.Sequential} sequential calls, {options.Total} calls with {options.InFlight} in flight; {options.InitialWarmup} calls of each kind before round 1");
        text.AppendLine(inv, $"nats-server {natsVersion}; {peers.Versions()}; .NET {Environment.Version}; {Environment.ProcessorCount} cores; load average {loadBefore} before, {loadAfter} after; {wall.TotalSeconds:0} s");
        var systems = new List<string> { Macula };
        if (options.Coalesce)
        {
            systems.Add(MaculaCoalesced);
        }

        systems.AddRange(peers.All.Select(p => p.Name));
        if (!options.SkipAspNet)
        {
            systems.Add(AspNet);
        }

        // The DTO rows last: they are measured for the 1 KB kind only, and a table lists only what it measured.
        systems.Add(Macula + DtoSuffix);
        if (options.Coalesce)
        {
            systems.Add(MaculaCoalesced + DtoSuffix);
        }

        if (!options.SkipAspNet)
        {
            systems.Add(AspNet + DtoSuffix);
        }

        E2eReport.AppendTables(text, results, systems, options.InFlight);
        E2eReport.AppendWarmupCheck(text, results, systems);
        E2eReport.AppendCpu(text, results, systems, options.InFlight);
        text.AppendLine();
        // Issue 18's goals, as ratios within a round; a peer that was skipped is "not measured", never a verdict.
        text.AppendLine("Goals (issue 18):");
        double Median(string system, string kind, Func<Figures, double> pick) =>
            results.TryGetValue((system, kind), out var list) ? Stats.Median(list.Select(pick)) : double.NaN;
        foreach (string ours in options.Coalesce ? new[] { Macula, MaculaCoalesced } : [Macula])
        {
            foreach (string kind in new[] { "add", "1k" })
            {
                text.AppendLine(inv, $"- {ours}, {kind}: throughput at {options.InFlight} in flight {Goal(PairedRatio(results, kind, E2ePeers.Grpc, f => f.CallsPerSecond, ours), "gRPC", ">= 1.0x (floor)", r => r >= 1.0)}; {Goal(PairedRatio(results, kind, E2ePeers.Orleans, f => f.CallsPerSecond, ours), "Orleans", ">= 1.0x (moonshot)", r => r >= 1.0)}; p50 at concurrency 1 {Goal(PairedRatio(results, kind, Go, f => f.P50Us, ours), "nats.go", "<= 1.0x (floor)", r => r <= 1.0)}");
            }
        }

        // For reference only, not a goal: the DTO echo does more work (a 16-line object graph each way) than gRPC's bytes.
        foreach (string ours in options.Coalesce ? new[] { Macula, MaculaCoalesced } : [Macula])
        {
            text.AppendLine(inv, $"- (reference, not like-for-like) {ours + DtoSuffix}: throughput at {options.InFlight} in flight {E2eReport.Format(PairedRatio(results, "1k", E2ePeers.Grpc, f => f.CallsPerSecond, ours + DtoSuffix), "0.00")}x gRPC's 1024-byte echo, {E2eReport.Format(PairedRatio(results, "1k", ours, f => f.CallsPerSecond, ours + DtoSuffix), "0.00")}x {ours}'s 1024-byte echo");
        }

        double bytes = Median(Macula, "add", f => f.BytesPerCall);
        text.AppendLine(inv, $"- client allocation of a typed AddAsync: {Bytes(bytes)} B/call (goal <= 512 B): {(double.IsNaN(bytes) ? "not measured" : Verdict(bytes <= 512))}");
        return text.ToString();
    }

    /// <summary>
    /// The median over rounds of Macula's figure divided by the peer's in the same round: rounds interleave the
    /// systems, so a ratio within a round compares them under the same load, which the ratio of medians does not.
    /// </summary>
    internal static double PairedRatio(Dictionary<(string System, string Kind), List<Figures>> results, string kind, string peer, Func<Figures, double> pick, string system = Macula)
    {
        if (!results.TryGetValue((system, kind), out var ours) || !results.TryGetValue((peer, kind), out var theirs))
        {
            return double.NaN;
        }

        var ratios = new List<double>();
        for (int i = 0; i < Math.Min(ours.Count, theirs.Count); i++)
        {
            double a = pick(ours[i]);
            double b = pick(theirs[i]);
            if (!double.IsNaN(a) && !double.IsNaN(b) && b != 0)
            {
                ratios.Add(a / b);
            }
        }

        return Stats.Median(ratios);
    }

    private static string Verdict(bool met) => met ? "met" : "MISSED";

    private static string Goal(double ratio, string peer, string goal, Func<double, bool> met) =>
        double.IsNaN(ratio)
            ? $"{peer} not measured"
            : string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}x {peer} (goal {goal}): {Verdict(met(ratio))}");

    private static string Bytes(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0", CultureInfo.InvariantCulture);
}

/// <summary>Command-line options of <c>e2e</c>.</summary>
internal sealed record E2eOptions
{
    public int Rounds { get; init; } = 3;

    public int Warmup { get; init; } = 1000;

    public int Sequential { get; init; } = 5000;

    public int Total { get; init; } = 50_000;

    public int InFlight { get; init; } = 64;

    public string? GoBinary { get; init; }

    public bool SkipGo { get; init; }

    public bool Profile { get; init; }

    public bool SkipAspNet { get; init; }

    public bool SkipNatsCore { get; init; }

    public bool SkipGrpc { get; init; }

    public bool SkipOrleans { get; init; }

    /// <summary>Also measure a Macula client with coalesced calls (<see cref="NatsOptions.Coalescing"/>), as the system "Macula coalesced".</summary>
    public bool Coalesce { get; init; }

    /// <summary>Measure only this kind of call (<c>add</c> or <c>1k</c>; <c>--only</c>), e.g. to profile one phase; null measures both.</summary>
    public string? Only { get; init; }

    /// <summary>Leave out the extra 1 KB rows that carry the DTO (<c>--skip-dto</c>).</summary>
    public bool SkipDto { get; init; }

    /// <summary>Whether this run measures <paramref name="kind"/>.</summary>
    public bool Wants(string kind) => Only is null || Only == kind;

    /// <summary>Calls of each kind for every system once before round 1 (JIT tiering, connections, pools).</summary>
    public int InitialWarmup { get; init; } = 3000;

    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(8);

    public static E2eOptions Parse(string[] args)
    {
        var options = new E2eOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--rounds" => options with { Rounds = Int() },
                "--warmup" => options with { Warmup = Int() },
                "--n" => options with { Sequential = Int() },
                "--t" => options with { Total = Int() },
                "--c" => options with { InFlight = Int() },
                "--natsgo" => options with { GoBinary = Next() },
                "--skip-go" => options with { SkipGo = true },
                "--profile" => options with { Profile = true, SkipGo = true, SkipNatsCore = true, SkipGrpc = true, SkipOrleans = true },
                "--skip-aspnet" => options with { SkipAspNet = true },
                "--skip-nats-core" => options with { SkipNatsCore = true },
                "--skip-grpc" => options with { SkipGrpc = true },
                "--skip-orleans" => options with { SkipOrleans = true },
                "--coalesce" => options with { Coalesce = true },
                "--skip-dto" => options with { SkipDto = true },
                "--only" => options with { Only = Next() switch { "add" => "add", "1k" => "1k", _ => throw new ArgumentException("--only takes add or 1k.") } },
                "--initial-warmup" => options with { InitialWarmup = Int() },
                "--quick" => options with { Rounds = 2, Warmup = 50, Sequential = 200, Total = 500, InitialWarmup = 100, MaxDuration = TimeSpan.FromMinutes(3) },
                "--max-minutes" => options with { MaxDuration = TimeSpan.FromMinutes(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                _ => throw new ArgumentException($"Unknown e2e option '{args[i]}'. Options: --rounds N --warmup N --n N --t N --c N --initial-warmup N --quick --natsgo PATH --skip-go --skip-nats-core --skip-grpc --skip-orleans --skip-aspnet --coalesce --only add|1k --skip-dto --profile --max-minutes M."),
            };
        }

        return options;
    }
}
