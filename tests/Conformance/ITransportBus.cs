using Macula.Transport;

namespace Macula.Testing;

/// <summary>
/// A message bus of one test's own, which the test may break: for the in-memory transport a new network, for NATS a
/// server of its own. Disposing it disposes the transports it made.
/// </summary>
public interface ITransportBus : IAsyncDisposable
{
    /// <summary>Where the transports connect (a NATS server's URL), which a lost-connection error names; <see langword="null"/> when there is no such place.</summary>
    string? Address { get; }

    /// <summary>A new transport on this bus, connected.</summary>
    Task<IMaculaTransport> ConnectAsync();

    /// <summary>Drops the connection of every transport on this bus at once, as a crashed server does.</summary>
    Task DropConnectionsAsync();
}
