using Macula.Nats.Tests.Infrastructure;
using Macula.Testing;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>
/// The transport conformance suite on <see cref="NatsTransport"/>: the tests share the collection's nats-server; a
/// test that breaks its bus gets a server of its own, which it kills.
/// </summary>
[Collection(NatsServerCollection.Name)]
public class NatsTransportConformanceTests(NatsServerFixture fixture) : TransportConformanceTests
{
    /// <summary>The options every transport of the suite gets.</summary>
    protected virtual NatsOptions Options(string url) => TestTimes.Options(url);

    protected override async Task<IMaculaTransport> CreateTransportAsync()
    {
        var transport = new NatsTransport(Options(fixture.Url));
        try
        {
            await transport.ConnectAsync();
            return transport;
        }
        catch
        {
            await transport.DisposeAsync();
            throw;
        }
    }

    protected override async Task<ITransportBus> StartBusAsync() => new Bus(await NatsServerProcess.StartNewAsync(), Options);

    private sealed class Bus(NatsServerProcess server, Func<string, NatsOptions> options) : ITransportBus
    {
        private readonly List<NatsTransport> _transports = [];

        public string? Address => server.Url;

        public async Task<IMaculaTransport> ConnectAsync()
        {
            var transport = new NatsTransport(options(server.Url));
            _transports.Add(transport);
            await transport.ConnectAsync();
            return transport;
        }

        public Task DropConnectionsAsync()
        {
            server.Kill();
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var transport in _transports)
            {
                await transport.DisposeAsync();
            }

            await server.DisposeAsync();
        }
    }
}

/// <summary>The same suite with coalesced calls on every transport: what a transport guarantees holds for batched requests too.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class NatsCoalescingTransportConformanceTests(NatsServerFixture fixture) : NatsTransportConformanceTests(fixture)
{
    protected override NatsOptions Options(string url) => TestTimes.Options(url) with { Coalescing = true };
}
