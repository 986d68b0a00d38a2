using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Macula.Benchmarks.Peers;
using Macula.Benchmarks.Peers.GrpcPeer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// The gRPC peer of e2e: `serve` hosts the Bench service on Kestrel (HTTP/2 without TLS, 127.0.0.1, a free port);
// `client <address>` calls it through one GrpcChannel with Grpc.Net.Client's defaults (see PeerHost).
return args switch
{
    ["serve"] => await ServeAsync().ConfigureAwait(false),
    ["client", var address] => await ClientAsync(new Uri(address)).ConfigureAwait(false),
    _ => Usage(),
};

static async Task<int> ServeAsync()
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
    builder.Services.AddGrpc();
    var app = builder.Build();
    app.MapGrpcService<BenchService>();
    await app.StartAsync().ConfigureAwait(false);
    string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    await using (app.ConfigureAwait(false))
    {
        return await PeerHost.ServeAsync(address, () => app.StopAsync()).ConfigureAwait(false);
    }
}

static async Task<int> ClientAsync(Uri address)
{
    using var channel = GrpcChannel.ForAddress(address);
    var client = new Bench.BenchClient(channel);
    var echo = new EchoMessage { Data = ByteString.CopyFrom(Payload.Bytes(1024)) };
    if ((await client.AddAsync(new AddRequest { A = 20, B = 22 })).Sum != 42 || !(await client.EchoAsync(echo)).Data.Equals(echo.Data))
    {
        throw new InvalidOperationException("The gRPC server returned a wrong result.");
    }

    string version = PeerHost.VersionOf(typeof(GrpcChannel));
    return await PeerHost.DriveAsync(version, new Dictionary<string, Func<Task>>
    {
        ["add"] = () => client.AddAsync(new AddRequest { A = 20, B = 22 }).ResponseAsync,
        ["1k"] = () => client.EchoAsync(echo).ResponseAsync,
    }).ConfigureAwait(false);
}

static int Usage()
{
    Console.Error.WriteLine("usage: Macula.Peers.Grpc serve | client <address>");
    return 64;
}

namespace Macula.Benchmarks.Peers.GrpcPeer
{
    /// <summary>The server side: the same work as Macula's BenchService.</summary>
    internal sealed class BenchService : Bench.BenchBase
    {
        public override Task<AddReply> Add(AddRequest request, ServerCallContext context) => Task.FromResult(new AddReply { Sum = request.A + request.B });

        public override Task<EchoMessage> Echo(EchoMessage request, ServerCallContext context) => Task.FromResult(request);
    }
}
