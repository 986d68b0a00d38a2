using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Serialization;

/// <summary>Writes and reads one value as the runtime does: MaculaSerializer with the default options (untrusted data).</summary>
internal static class TestWire
{
    public static MessagePackSerializerOptions Options => MaculaSerializer.DefaultOptions;

    public static byte[] Write<T>(T value, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions? options = null) =>
        MaculaSerializer.Serialize(value, formatter, options ?? Options);

    public static T Read<T>(ReadOnlyMemory<byte> bytes, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions? options = null) =>
        MaculaSerializer.Deserialize(bytes, formatter, options ?? Options);

    /// <summary>Options whose reads and writes stop at <paramref name="depth"/> levels.</summary>
    public static MessagePackSerializerOptions Depth(int depth) => MaculaSerializer.CreateOptions(maxObjectGraphDepth: depth);
}

/// <summary>Writes a <see cref="MsgNode"/> with MessagePack-CSharp's writer; reads one back with a generous depth.</summary>
internal sealed class NodeFormatter : IMessagePackFormatter<MsgNode>
{
    public static readonly NodeFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, MsgNode value, MessagePackSerializerOptions options) => value.Write(ref writer);

    public MsgNode Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => MsgNode.Read(ref reader, 1000);
}
