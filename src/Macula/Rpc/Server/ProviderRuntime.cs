using Macula.Discovery;
using Macula.Transport;
using MessagePack;

namespace Macula.Rpc.Server;

/// <summary>
/// What a provider needs of its node, handed to it by <see cref="MaculaNode"/> (the composition root): the transport,
/// the registry it advertises in and the announcements that tell clients at once, the clock, the node's name and
/// options, its serializer and event sink, the stream server, the recorder of its calls' stats, and the token that stops every call when the node stops.
/// </summary>
internal sealed record ProviderRuntime(
    IMaculaTransport Transport,
    IServiceRegistry Registry,
    DiscoveryEvents Announcements,
    TimeProvider Time,
    string Realm,
    string NodeId,
    MaculaNodeOptions Options,
    MessagePackSerializerOptions SerializerOptions,
    IMaculaEventSink Events,
    IStreamServer Streams,
    Monitoring.ServerStats Stats,
    CancellationToken Stopping)
{
    /// <summary>Where the node's providers register for in-process calls of its clients (the local fast path); null: nowhere.</summary>
    public LocalProviders? Local { get; init; }
}
