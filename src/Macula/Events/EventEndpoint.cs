using Macula.Transport;
using MessagePack;

namespace Macula.Events;

/// <summary>What publishers and subscriptions need from their node, and nothing more.</summary>
/// <param name="Transport">The bus events travel on.</param>
/// <param name="Realm">The realm whose subjects they use.</param>
/// <param name="NodeId">This node's id, sent as the publisher's.</param>
/// <param name="Serializer">The node's serializer options (resolvers, untrusted-data security, depth limit).</param>
/// <param name="Compression">When published bodies are compressed.</param>
/// <param name="MaxDecompressedBytes">The largest body a compressed event may unpack to.</param>
/// <param name="Time">The node's clock, for rate-limiting reports.</param>
/// <param name="OnBadMessage">Reports a dropped message: its subject and why.</param>
/// <param name="Filters">The node's event filters, outside each publisher's and subscription's own.</param>
/// <param name="OnHandlerError">Reports a handler that threw: what it was handling and the exception.</param>
internal sealed record EventEndpoint(
    IMaculaTransport Transport,
    string Realm,
    string NodeId,
    MessagePackSerializerOptions Serializer,
    CompressionOptions Compression,
    int MaxDecompressedBytes,
    TimeProvider Time,
    Action<string, string> OnBadMessage,
    IReadOnlyList<IMaculaEventFilter> Filters,
    Action<string, Exception> OnHandlerError);
