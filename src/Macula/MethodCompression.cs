namespace Macula;

/// <summary>How one method's bodies are compressed, whatever the node and client say (<see cref="MaculaMethodAttribute.Compression"/>).</summary>
public enum MethodCompression
{
    /// <summary>As the client (for the call) and the node (for the reply) say.</summary>
    Default,

    /// <summary>Never compressed: the bodies are small, already compressed, or latency matters more than size.</summary>
    Off,

    /// <summary>LZ4 for bodies of at least the client's or node's <see cref="CompressionOptions.MinBytes"/> (1 KiB when they have compression off).</summary>
    Lz4,
}
