using Macula.Transport;

namespace Macula.Rpc.Server;

/// <summary>
/// The seam where a provider's stream opens leave the unary path: a call that opens a stream passed the same checks
/// as a unary one (draining, method, deadline) in <see cref="ProviderHost"/>; Rpc/Streaming serves it from there.
/// </summary>
internal interface IStreamServer
{
    /// <summary>
    /// Serves the open of the stream <paramref name="method"/> of <paramref name="host"/>'s service. Its entry in
    /// <see cref="ProviderHost.InFlight"/> lets a cancel message and draining stop it, as they stop a unary call.
    /// </summary>
    Task ServeAsync(ProviderHost host, MethodDescriptor method, TransportMessage message);
}
