using System.Net;
using System.Net.Sockets;
using Macula.Benchmarks.Peers;
using Macula.Benchmarks.Peers.OrleansPeer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

// The Orleans peer of e2e: `serve` runs a silo with localhost clustering (127.0.0.1, free silo and gateway ports);
// `client <gateway port>` is an Orleans cluster client in its own process calling one grain (see PeerHost).
return args switch
{
    ["serve"] => await ServeAsync().ConfigureAwait(false),
    ["client", var gateway] => await ClientAsync(int.Parse(gateway, System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false),
    _ => Usage(),
};

static async Task<int> ServeAsync()
{
    int siloPort = FreePort();
    int gatewayPort = FreePort();
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort));
    using var host = builder.Build();
    await host.StartAsync().ConfigureAwait(false);
    return await PeerHost.ServeAsync(gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture), () => host.StopAsync()).ConfigureAwait(false);
}

static async Task<int> ClientAsync(int gatewayPort)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort));
    using var host = builder.Build();
    await host.StartAsync().ConfigureAwait(false);
    var grain = host.Services.GetRequiredService<IClusterClient>().GetGrain<IBenchGrain>(0);
    byte[] payload = Payload.Bytes(1024);
    if (await grain.AddAsync(20, 22).ConfigureAwait(false) != 42 || !(await grain.EchoAsync(payload).ConfigureAwait(false)).AsSpan().SequenceEqual(payload))
    {
        throw new InvalidOperationException("The Orleans grain returned a wrong result.");
    }

    string version = PeerHost.VersionOf(typeof(IClusterClient));
    int code = await PeerHost.DriveAsync(version, new Dictionary<string, Func<Task>>
    {
        ["add"] = () => grain.AddAsync(20, 22),
        ["1k"] = () => grain.EchoAsync(payload),
    }).ConfigureAwait(false);
    await host.StopAsync().ConfigureAwait(false);
    return code;
}

// A port nothing listens on: the kernel picks it, the listener is closed, the silo binds it.
static int FreePort()
{
    var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Macula.Peers.Orleans serve | client <gateway port>");
    return 64;
}

namespace Macula.Benchmarks.Peers.OrleansPeer
{
    /// <summary>The same two calls as Macula's IBenchService, as a grain.</summary>
    public interface IBenchGrain : IGrainWithIntegerKey
    {
        Task<int> AddAsync(int a, int b);

        Task<byte[]> EchoAsync(byte[] data);
    }

    /// <summary>
    /// Stateless, so a stateless worker: the silo may run several activations at once (up to one per core), as
    /// Orleans' documentation advises for stateless work; no work beyond the call itself.
    /// </summary>
    [StatelessWorker]
    internal sealed class BenchGrain : Grain, IBenchGrain
    {
        public Task<int> AddAsync(int a, int b) => Task.FromResult(a + b);

        public Task<byte[]> EchoAsync(byte[] data) => Task.FromResult(data);
    }
}
