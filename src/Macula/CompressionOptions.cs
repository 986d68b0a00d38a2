namespace Macula;

/// <summary>
/// Whether message bodies are LZ4-compressed (MessagePack-CSharp's <c>Lz4BlockArray</c> layout) before they are sent.
/// A compressed body carries the header <c>Macula-Compression: lz4</c>, so every node reads it whatever its own setting;
/// this only decides what a node sends. Set per node (<see cref="MaculaNodeOptions.Compression"/>: replies, stream items
/// and calls), per client (<see cref="ClientOptions.Compression"/>: calls) and per method
/// (<see cref="MaculaMethodAttribute.Compression"/>).
/// </summary>
public sealed record CompressionOptions
{
    /// <summary>No compression (the default).</summary>
    public static CompressionOptions Off { get; } = new();

    /// <summary>LZ4 for bodies of at least 1 KiB (<see cref="MinBytes"/>).</summary>
    public static CompressionOptions Lz4 { get; } = new() { Enabled = true };

    /// <summary>Whether bodies of at least <see cref="MinBytes"/> are compressed.</summary>
    public bool Enabled { get; init; }

    /// <summary>The smallest body that is compressed; smaller ones gain too little to pay for the CPU. Default 1024.</summary>
    public int MinBytes { get; init; } = 1024;

    internal void Validate(string owner)
    {
        Validation.Require(Validation.CompressionMinBytesProblem(MinBytes), $"{owner}.Compression", nameof(MinBytes), MinBytes);
    }
}
