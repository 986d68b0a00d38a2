using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc.Client;

/// <summary>Passes bytes that already are MessagePack through unchanged.</summary>
internal sealed class RawFormatter : IMessagePackFormatter<ReadOnlyMemory<byte>>
{
    public static readonly RawFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, ReadOnlyMemory<byte> value, MessagePackSerializerOptions options) => writer.WriteRaw(value.Span);

    public ReadOnlyMemory<byte> Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => throw new NotSupportedException("Raw results are read from the reply directly.");
}
