using Macula.Testing;
using Macula.Transport;
using Macula.Transport.InMemory;

namespace Macula.Tests.Transport;

/// <summary>The transport conformance suite on the in-memory transport: each test on a network of its own.</summary>
public sealed class InMemoryTransportConformanceTests : TransportConformanceTests
{
    private readonly InMemoryNetwork _network = new();

    protected override Task<IMaculaTransport> CreateTransportAsync() => Task.FromResult<IMaculaTransport>(_network.CreateTransport());

    protected override Task<ITransportBus> StartBusAsync() => Task.FromResult<ITransportBus>(new Bus());

    /// <summary>A network whose connections drop when each of its transports is killed (<see cref="InMemoryTransport.Kill"/>).</summary>
    private sealed class Bus : ITransportBus
    {
        private readonly InMemoryNetwork _network = new();
        private readonly List<InMemoryTransport> _transports = [];

        public string? Address => null;

        public Task<IMaculaTransport> ConnectAsync()
        {
            var transport = _network.CreateTransport();
            _transports.Add(transport);
            return Task.FromResult<IMaculaTransport>(transport);
        }

        public Task DropConnectionsAsync()
        {
            foreach (var transport in _transports)
            {
                transport.Kill();
            }

            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var transport in _transports)
            {
                await transport.DisposeAsync();
            }
        }
    }
}
