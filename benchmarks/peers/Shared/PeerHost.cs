using System.Globalization;
using System.Reflection;
using Macula.Benchmarks.E2e;

namespace Macula.Benchmarks.Peers;

/// <summary>
/// The two sides of a .NET peer of <c>e2e</c>, each its own process, both driven by the e2e tool over standard
/// input and output:
/// <list type="bullet">
/// <item><c>serve ...</c>: the server prints <c>READY &lt;address&gt;</c> once it accepts calls, then serves until its
/// standard input closes (so it cannot outlive the e2e tool).</item>
/// <item><c>client &lt;address&gt;</c>: the client connects, checks one call of each kind, prints
/// <c>READY &lt;version&gt;</c>, then runs what each input line says: <c>warm N</c> (N calls of each kind, prints
/// <c>OK</c>) or <c>run KIND WARMUP SEQUENTIAL TOTAL INFLIGHT</c> (<see cref="CallLoop"/>, the loop that measures
/// the Macula side, prints one JSON line). It exits when its input closes.</item>
/// </list>
/// The client measures its own allocation: nothing else runs in its process.
/// </summary>
internal static class PeerHost
{
    public static async Task<int> ServeAsync(string address, Func<Task> stop)
    {
        Console.Out.WriteLine("READY " + address);
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is not null)
        {
            // Nothing is sent; the loop ends when the e2e tool closes the pipe or dies.
        }

        await stop().ConfigureAwait(false);
        return 0;
    }

    public static async Task<int> DriveAsync(string version, IReadOnlyDictionary<string, Func<Task>> calls)
    {
        Console.Out.WriteLine("READY " + version);
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words)
            {
                case ["warm", var count]:
                    for (int i = 0; i < Int(count); i++)
                    {
                        foreach (var call in calls.Values)
                        {
                            await call().ConfigureAwait(false);
                        }
                    }

                    Console.Out.WriteLine("OK");
                    break;
                case ["run", var kind, var warmup, var sequential, var total, var inFlight]:
                    var measured = calls.TryGetValue(kind, out var found) ? found : throw new ArgumentException($"Unknown kind of call '{kind}'.");
                    var figures = await CallLoop.MeasureAsync(measured, new RoundPlan(Int(warmup), Int(sequential), Int(total), Int(inFlight)), CancellationToken.None).ConfigureAwait(false);
                    Console.Out.WriteLine(Json(figures, Int(sequential), Int(total), Int(inFlight)));
                    break;
                default:
                    throw new ArgumentException($"Unknown command '{line}'.");
            }

            Console.Out.Flush();
        }

        return 0;
    }

    /// <summary>The Go peer's JSON shape, with the client's allocation added.</summary>
    private static string Json(Figures f, int sequential, int total, int inFlight) => string.Create(
        CultureInfo.InvariantCulture,
        $$$"""{"sequential":{"n":{{{sequential}}},"p50_us":{{{f.P50Us:R}}},"p99_us":{{{f.P99Us:R}}},"first_window_p50_us":{{{f.FirstWindowP50Us:R}}},"rest_p50_us":{{{f.RestP50Us:R}}}},"concurrent":{"in_flight":{{{inFlight}}},"total":{{{total}}},"rps":{{{f.CallsPerSecond:R}}}},"allocation":{"sequential_bytes_per_call":{{{f.BytesPerCall:R}}},"concurrent_bytes_per_call":{{{f.BytesPerCallConcurrent:R}}}}}""");

    /// <summary>The package version of the assembly that holds <paramref name="type"/> ("10.4.2", without a commit suffix).</summary>
    public static string VersionOf(Type type)
    {
        string? version = type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return version is null ? "?" : version.Split('+', ' ')[0].TrimEnd('.');
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);
}
