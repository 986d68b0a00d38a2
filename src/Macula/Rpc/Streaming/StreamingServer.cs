using Macula.Rpc.Server;
using Macula.Transport;

namespace Macula.Rpc.Streaming;

/// <summary>The provider side of streams, plugged into <see cref="ProviderHost"/> at <see cref="IStreamServer"/>.</summary>
internal sealed class StreamingServer : IStreamServer
{
    public static readonly StreamingServer Instance = new();

    private StreamingServer()
    {
    }

    public Task ServeAsync(ProviderHost host, MethodDescriptor method, TransportMessage message) => StreamingProvider.ServeAsync(host, method, message);
}
