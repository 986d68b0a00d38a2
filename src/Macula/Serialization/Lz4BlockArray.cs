using System.Buffers;
using System.Buffers.Binary;
using K4os.Compression.LZ4;
using MessagePack;

namespace Macula.Serialization;

/// <summary>
/// LZ4 compression of a whole message body in MessagePack-CSharp's <see cref="MessagePackCompression.Lz4BlockArray"/>
/// layout: <c>[ext 98 (the uncompressed length of each block as MessagePack ints), bin (LZ4 block)...]</c>, so a
/// MessagePack-CSharp peer reads it with <c>WithCompression(Lz4BlockArray)</c>. Written here with K4os.Compression.LZ4
/// because MessagePack-CSharp's own LZ4 codec is internal and reachable only through <c>MessagePackSerializer</c>,
/// whose static defaults root the Reflection.Emit resolvers (about 45 trim warnings in a trimmed app).
/// </summary>
internal static class Lz4BlockArray
{
    /// <summary>MessagePack-CSharp's extension type code of the Lz4BlockArray header.</summary>
    public const sbyte ExtensionTypeCode = 98;

    /// <summary>The largest uncompressed block; a longer body is cut into several.</summary>
    private const int BlockSize = 1 << 20;

    public static void Compress(ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        int blocks = Math.Max(1, (body.Length + BlockSize - 1) / BlockSize);
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(blocks + 1);
        int headerSize = 0;
        for (int i = 0; i < blocks; i++)
        {
            headerSize += IntSize(BlockLength(body.Length, i));
        }

        writer.WriteExtensionFormatHeader(new ExtensionHeader(ExtensionTypeCode, headerSize));
        for (int i = 0; i < blocks; i++)
        {
            writer.Write(BlockLength(body.Length, i));
        }

        for (int i = 0; i < blocks; i++)
        {
            var block = body.Slice(i * BlockSize, BlockLength(body.Length, i));
            var span = writer.GetSpan(LZ4Codec.MaximumOutputSize(block.Length) + 5);
            int written = LZ4Codec.Encode(block, span[5..]);

            // bin 32 always, as MessagePack-CSharp writes it: the length is known only after the block is compressed.
            span[0] = MessagePackCode.Bin32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], written);
            writer.Advance(written + 5);
        }

        writer.Flush();
    }

    /// <summary>Decompresses a body written by <see cref="Compress"/> (or by MessagePack-CSharp); refuses anything else.</summary>
    public static byte[] Decompress(ReadOnlyMemory<byte> body, int maxDecompressedBytes)
    {
        var reader = new MessagePackReader(body);
        try
        {
            int count = reader.ReadArrayHeader();
            if (count < 2)
            {
                throw Bad(reader.Consumed, $"an array of {count} elements, not the header and at least one block");
            }

            var header = reader.ReadExtensionFormatHeader();
            if (header.TypeCode != ExtensionTypeCode)
            {
                throw Bad(reader.Consumed, $"ext type {header.TypeCode} where the Lz4BlockArray header (ext type {ExtensionTypeCode}) belongs");
            }

            long headerEnd = reader.Consumed + header.Length;
            var lengths = new int[count - 1];
            long total = 0;
            for (int i = 0; i < lengths.Length; i++)
            {
                int length = reader.ReadInt32();
                if (length < 0 || (total += length) > maxDecompressedBytes)
                {
                    throw new MaculaSerializationException($"The LZ4 body declares more than {maxDecompressedBytes} uncompressed bytes, the limit of this node", reader.Consumed);
                }

                lengths[i] = length;
            }

            if (reader.Consumed != headerEnd)
            {
                throw Bad(reader.Consumed, $"a header of {header.Length} bytes that does not hold exactly {lengths.Length} block lengths");
            }

            var output = new byte[total];
            int at = 0;
            for (int i = 0; i < lengths.Length; i++)
            {
                var block = reader.ReadBytes() ?? throw Bad(reader.Consumed, "nil where an LZ4 block belongs");
                int decoded = block.IsSingleSegment
                    ? LZ4Codec.Decode(block.FirstSpan, output.AsSpan(at, lengths[i]))
                    : LZ4Codec.Decode(block.ToArray(), output.AsSpan(at, lengths[i]));
                if (decoded != lengths[i])
                {
                    throw Bad(reader.Consumed, $"block {i + 1} that decodes to {(decoded < 0 ? "nothing valid" : decoded + " bytes")}, not the {lengths[i]} bytes its header declares");
                }

                at += decoded;
            }

            if (!reader.End)
            {
                throw Bad(reader.Consumed, $"{body.Length - reader.Consumed} bytes after the last block");
            }

            return output;
        }
        catch (Exception ex) when (ex is not MaculaSerializationException and not OutOfMemoryException)
        {
            throw new MaculaSerializationException("The body is marked LZ4-compressed but is not an Lz4BlockArray: " + MaculaSerializer.Describe(ex), Math.Min(reader.Consumed, body.Length), ex);
        }

        MaculaSerializationException Bad(long offset, string found) =>
            new($"The body is marked LZ4-compressed but has {found}", Math.Min(offset, body.Length));
    }

    private static int BlockLength(int total, int index) => Math.Min(BlockSize, total - (index * BlockSize));

    private static int IntSize(int value) => value switch
    {
        <= 0x7f => 1,
        <= 0xff => 2,
        <= 0xffff => 3,
        _ => 5,
    };
}
