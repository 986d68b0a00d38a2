using Macula.Serialization;
using Macula.Transport;

namespace Macula.Events;

/// <summary>The headers and body rules of an event message (docs/wire-protocol.md, "Events").</summary>
internal static class EventProtocol
{
    /// <summary>The events wire version; a message without the header is read as this version.</summary>
    public const string VersionHeader = "Macula-Event-Version";

    public const string Version = "1";

    /// <summary>The publisher's node id: a claim, not verified (docs/security.md).</summary>
    public const string PublisherHeader = "Macula-Publisher";

    public const string TraceParentHeader = "traceparent";

    /// <summary>The same header, and the same LZ4 block layout, as calls use (docs/wire-protocol.md, "Compression").</summary>
    public const string CompressionHeader = "Macula-Compression";

    public const string Lz4 = "lz4";

    public static bool ShouldCompress(CompressionOptions options, MethodCompression @event, int length) => @event switch
    {
        MethodCompression.Off => false,
        MethodCompression.Lz4 => length >= options.MinBytes,
        _ => options.Enabled && length >= options.MinBytes,
    };

    /// <summary>Compresses <paramref name="body"/>; false when LZ4 did not make it smaller (send it plain).</summary>
    public static bool TryCompress(ReadOnlySpan<byte> body, PooledBufferWriter compressed)
    {
        Lz4BlockArray.Compress(body, compressed);
        return compressed.WrittenCount < body.Length;
    }

    /// <summary>The MessagePack body of <paramref name="message"/>, decompressed when its headers say so.</summary>
    /// <exception cref="MaculaSerializationException">An unknown compression, or a compressed body that does not decode within the limit.</exception>
    public static ReadOnlyMemory<byte> ReadBody(TransportMessage message, int maxDecompressedBytes)
    {
        string? compression = message.Headers?[CompressionHeader];
        if (compression is null)
        {
            return message.Payload;
        }

        if (compression == Lz4)
        {
            return Lz4BlockArray.Decompress(message.Payload, maxDecompressedBytes);
        }

        throw new MaculaSerializationException($"The body is compressed as '{compression}', which this node does not read (it reads '{Lz4}')");
    }
}
