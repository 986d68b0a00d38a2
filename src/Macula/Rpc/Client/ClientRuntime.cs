using Macula.Discovery;
using Macula.Transport;
using MessagePack;

namespace Macula.Rpc.Client;

/// <summary>
/// What a client needs of its node, handed to it by <see cref="MaculaNode"/> (the composition root): the transport,
/// the discovery cache, the clock, the node's name and options, its serializer, its event sink, and the stream calls.
/// </summary>
internal sealed record ClientRuntime(
    IMaculaTransport Transport,
    DiscoveryCache Discovery,
    TimeProvider Time,
    string Realm,
    string NodeId,
    MaculaNodeOptions Options,
    MessagePackSerializerOptions SerializerOptions,
    IMaculaEventSink Events,
    IStreamCalls Streams)
{
    /// <summary>The providers of this node, which calls reach in-process (the local fast path); null: none.</summary>
    public LocalProviders? Local { get; init; }
}
