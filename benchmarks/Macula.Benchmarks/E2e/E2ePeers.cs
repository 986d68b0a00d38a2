using System.Globalization;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// The peers of the e2e run (<c>benchmarks/peers/</c>), each a server process and a client process: raw
/// request/reply with nats.go and with NATS.Client.Core on the run's nats-server, gRPC unary calls over h2c, and
/// Orleans grain calls with localhost clustering. Started together, warmed up like the in-process systems (the same
/// number of calls of each kind before round 1), stopped together.
/// </summary>
internal sealed class E2ePeers : IDisposable
{
    internal const string NatsCore = "NATS.Client.Core";
    internal const string Grpc = "gRPC";
    internal const string Orleans = "Orleans";

    private E2ePeers(IReadOnlyList<ProcessPeer> all) => All = all;

    /// <summary>In the order they run in each round, after Macula.</summary>
    public IReadOnlyList<ProcessPeer> All { get; }

    public static async Task<E2ePeers> StartAsync(E2eOptions options, string natsUrl, GoPeer? go, CancellationToken cancellationToken)
    {
        var wanted = new List<(string Name, Func<Task<ProcessPeer>> Start)>();
        if (go is not null)
        {
            wanted.Add((E2eBenchmark.Go, () => go.StartAsync(natsUrl, cancellationToken)));
        }

        if (!options.SkipNatsCore)
        {
            wanted.Add((NatsCore, () => ProcessPeer.StartDotnetAsync(NatsCore, "NatsCore", "Macula.Peers.NatsCore", [natsUrl], cancellationToken)));
        }

        if (!options.SkipGrpc)
        {
            wanted.Add((Grpc, () => ProcessPeer.StartDotnetAsync(Grpc, "Grpc", "Macula.Peers.Grpc", [], cancellationToken)));
        }

        if (!options.SkipOrleans)
        {
            wanted.Add((Orleans, () => ProcessPeer.StartDotnetAsync(Orleans, "Orleans", "Macula.Peers.Orleans", [], cancellationToken)));
        }

        if (wanted.Count == 0)
        {
            return new E2ePeers([]);
        }

        Console.WriteLine($"e2e: starting the peers ({string.Join(", ", wanted.Select(w => w.Name))}), each a server and a client process ...");
        var starting = wanted.Select(w => w.Start()).ToArray();
        try
        {
            await Task.WhenAll(starting).ConfigureAwait(false);
        }
        catch
        {
            foreach (var task in starting.Where(t => t.IsCompletedSuccessfully))
            {
                task.Result.Dispose();
            }

            throw;
        }

        var peers = new E2ePeers(starting.Select(t => t.Result).ToArray());
        try
        {
            foreach (var peer in peers.All)
            {
                await peer.WarmAsync(options.InitialWarmup, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            peers.Dispose();
            throw;
        }

        return peers;
    }

    /// <summary>"nats.go 1.22.1; NATS.Client.Core 3.3.2; Grpc.Net.Client 2.85.0; ..." for the report's header.</summary>
    public string Versions() => All.Count == 0
        ? "no peers"
        : string.Join("; ", All.Select(p => string.Create(CultureInfo.InvariantCulture, $"{ClientLibrary(p.Name)} {p.Version}")));

    public void Dispose()
    {
        foreach (var peer in All)
        {
            peer.Dispose();
        }
    }

    private static string ClientLibrary(string peer) => peer switch
    {
        Grpc => "Grpc.Net.Client",
        Orleans => "Microsoft.Orleans.Client",
        _ => peer,
    };
}
