using System.Diagnostics;
using System.Globalization;
using Macula.Benchmarks.Harness;
using Macula.Nats;

namespace Macula.Benchmarks.Startup;

/// <summary>The sample's service as a client sees it: the same service name and method, so the benchmark calls the sample.</summary>
[MaculaService("Calculator")]
public interface IStartupCalculator
{
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);
}

/// <summary>
/// Startup and footprint of a provider process, Native AOT against JIT: the Calculator sample's <c>provider</c>
/// command, published both ways, started again and again beside one nats-server (rounds interleave the two builds).
/// Per start: the time to its "ready" line (node started, service advertised), the time until a client that starts
/// calling at "ready" gets its first result, and the process's resident set after ready and after 2,000 calls.
/// <code>
/// dotnet publish samples/Calculator -c Release -r linux-x64 -p:PublishAot=true -o /tmp/calc-aot
/// dotnet publish samples/Calculator -c Release -o /tmp/calc-jit
/// dotnet run -c Release --project benchmarks/Macula.Benchmarks -- startup --aot /tmp/calc-aot --jit /tmp/calc-jit [--rounds 7]
/// </code>
/// </summary>
public static class StartupBenchmark
{
    private const int Calls = 2_000;

    public static async Task<int> RunAsync(string[] args)
    {
        string? aot = null;
        string? jit = null;
        int rounds = 7;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--aot": aot = args[++i]; break;
                case "--jit": jit = args[++i]; break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: startup --aot DIR --jit DIR [--rounds N]");
                    return 2;
            }
        }

        if (aot is null || jit is null)
        {
            Console.Error.WriteLine("usage: startup --aot DIR --jit DIR [--rounds N] (publish the sample both ways first: see StartupBenchmark.cs)");
            return 2;
        }

        var builds = new (string Name, string Executable, string[] Prefix)[]
        {
            ("Native AOT", Path.Combine(aot, "Calculator"), []),
            ("JIT", "dotnet", [Path.Combine(jit, "Calculator.dll")]),
        };
        foreach (var build in builds)
        {
            string file = build.Prefix.Length > 0 ? build.Prefix[0] : build.Executable;
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"{build.Name}: {file} does not exist; publish the sample first (see StartupBenchmark.cs)");
                return 2;
            }
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        using var server = await NatsServer.StartAsync(cancel.Token).ConfigureAwait(false);
        Console.WriteLine($"startup: {rounds} rounds, builds interleaved, nats-server {server.Version} at {server.Url}, load average {LoadAverage()}");
        var results = builds.ToDictionary(b => b.Name, _ => new List<Start>());
        for (int round = 0; round < rounds; round++)
        {
            foreach (var build in round % 2 == 0 ? builds : builds.Reverse())
            {
                var start = await MeasureAsync(build.Executable, build.Prefix, server.Url, $"startup{round}{(build.Name == "JIT" ? "j" : "a")}", cancel.Token).ConfigureAwait(false);
                results[build.Name].Add(start);
                Console.WriteLine($"  round {round + 1} {build.Name,-10} ready {start.Ready.TotalMilliseconds,6:0} ms  first call {start.FirstCall.TotalMilliseconds,6:0} ms  RSS ready {start.RssReady / 1024.0,5:0.0} MiB  after {Calls} calls {start.RssAfterCalls / 1024.0,5:0.0} MiB");
            }
        }

        Console.WriteLine();
        Console.WriteLine("| provider process (medians) | ready | first served call | RSS at ready | RSS after 2,000 calls |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var build in builds)
        {
            var list = results[build.Name];
            Console.WriteLine($"| {build.Name} | {Median(list, s => s.Ready.TotalMilliseconds):0} ms | {Median(list, s => s.FirstCall.TotalMilliseconds):0} ms | {Median(list, s => s.RssReady / 1024.0):0.0} MiB | {Median(list, s => s.RssAfterCalls / 1024.0):0.0} MiB |");
        }

        Console.WriteLine();
        Console.WriteLine($"load average at the end {LoadAverage()}");
        return 0;
    }

    private static async Task<Start> MeasureAsync(string executable, string[] prefix, string url, string realm, CancellationToken cancellationToken)
    {
        // The client is up before the provider starts, as a caller already running in the mesh would be.
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = new NatsTransport(url), Realm = realm, NodeId = "startup-client" }, cancellationToken).ConfigureAwait(false);
        var proxy = client.CreateClient<IStartupCalculator>();

        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in prefix.Concat(["provider", "--nats", url, "--realm", realm, "--node-id", "startup-provider"]))
        {
            info.ArgumentList.Add(arg);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        var process = ChildProcesses.Start(info, "provider");
        try
        {
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.StartsWith("ready ", StringComparison.Ordinal) == true)
                {
                    ready.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            var readyAt = clock.Elapsed;
            long rssReady = ResidentKiB(process);
            while (true)
            {
                try
                {
                    if (await proxy.AddAsync(20, 22, cancellationToken).ConfigureAwait(false) != 42)
                    {
                        throw new InvalidOperationException("The provider added wrong.");
                    }

                    break;
                }
                catch (MaculaRpcException e) when (e.Code == MaculaErrorCode.ServiceNotFound && clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    // Not yet found: the client's discovery has not seen the advertisement. Ask again soon.
                    await Task.Delay(2, cancellationToken).ConfigureAwait(false);
                }
            }

            var firstCall = clock.Elapsed;
            for (int i = 0; i < Calls; i++)
            {
                await proxy.AddAsync(i, 1, cancellationToken).ConfigureAwait(false);
            }

            return new Start(readyAt, firstCall, rssReady, ResidentKiB(process));
        }
        finally
        {
            ChildProcesses.Stop(process);
        }
    }

    /// <summary>The process's resident set (VmRSS) in KiB, from /proc.</summary>
    private static long ResidentKiB(Process process)
    {
        foreach (string line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("No VmRSS in /proc/<pid>/status.");
    }

    private static double Median(List<Start> starts, Func<Start, double> figure)
    {
        var sorted = starts.Select(figure).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private readonly record struct Start(TimeSpan Ready, TimeSpan FirstCall, long RssReady, long RssAfterCalls);
}
