using Macula.Nats.Tests.Infrastructure;
using Macula.Testing;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>
/// The transport conformance suite on <see cref="NatsTransport"/>: the tests share the collection's nats-server; a
/// test that breaks its bus gets a server of its own, which it kills.
/// </summary>
[Collection(NatsServerCollection.Name)]
public sealed class NatsTransportConformanceTests(NatsServerFixture fixture) : TransportConformanceTests
{
    protected override async Task<IMaculaTransport> CreateTransportAsync()
    {
        var transport = new NatsTransport(TestTimes.Options(fixture.Url));
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

    protected override async Task<ITransportBus> StartBusAsync() => new Bus(await NatsServerProcess.StartNewAsync());

    private sealed class Bus(NatsServerProcess server) : ITransportBus
    {
        private readonly List<NatsTransport> _transports = [];

        public string? Address => server.Url;

        public async Task<IMaculaTransport> ConnectAsync()
        {
            var transport = new NatsTransport(TestTimes.Options(server.Url));
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
