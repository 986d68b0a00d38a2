using System.Globalization;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// The .NET peers of the e2e run (<c>benchmarks/peers/</c>), each a server process and a client process:
/// raw request/reply with NATS.Client.Core on the run's nats-server, gRPC unary calls over h2c, and Orleans grain
/// calls with localhost clustering. Started together, warmed up like the in-process systems, stopped together.
/// </summary>
internal sealed class E2ePeers : IDisposable
{
    internal const string NatsCore = "NATS.Client.Core";
    internal const string Grpc = "gRPC";
    internal const string Orleans = "Orleans";

    private E2ePeers(IReadOnlyList<DotnetPeer> all) => All = all;

    /// <summary>In the order they run in each round, after Macula and nats.go.</summary>
    public IReadOnlyList<DotnetPeer> All { get; }

    public static async Task<E2ePeers> StartAsync(E2eOptions options, string natsUrl, CancellationToken cancellationToken)
    {
        var wanted = new List<(string Name, string Directory, string Assembly, string[] ServerArgs)>();
        if (!options.SkipNatsCore)
        {
            wanted.Add((NatsCore, "NatsCore", "Macula.Peers.NatsCore", [natsUrl]));
        }

        if (!options.SkipGrpc)
        {
            wanted.Add((Grpc, "Grpc", "Macula.Peers.Grpc", []));
        }

        if (!options.SkipOrleans)
        {
            wanted.Add((Orleans, "Orleans", "Macula.Peers.Orleans", []));
        }

        if (wanted.Count == 0)
        {
            return new E2ePeers([]);
        }

        Console.WriteLine($"e2e: starting the .NET peers ({string.Join(", ", wanted.Select(w => w.Name))}), each a server and a client process ...");
        var starting = wanted.Select(w => DotnetPeer.StartAsync(w.Name, w.Directory, w.Assembly, w.ServerArgs, cancellationToken)).ToArray();
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
                await peer.WarmAsync(options.JitWarmup, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            peers.Dispose();
            throw;
        }

        return peers;
    }

    /// <summary>"NATS.Client.Core 3.3.2; gRPC 2.85.0; ..." for the report's header.</summary>
    public string Versions() => All.Count == 0
        ? "no .NET peers"
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
