using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Macula.Serialization;
using MessagePack;

namespace Macula.Tests.Serialization;

/// <summary>Which writer overload an integer goes through, so every overload meets the oracle.</summary>
internal enum IntVia
{
    SByte,
    Byte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
}

/// <summary>
/// Which writer entry point a string goes through: MessagePack-CSharp's Write(string) and WriteString(utf8), and
/// Macula's strict WriteString, which generated code uses. (MessagePack-CSharp 2.5's Write(ReadOnlySpan&lt;char&gt;)
/// throws ArgumentNullException on an empty span; Macula never calls it.)
/// </summary>
internal enum StrVia
{
    String,
    Strict,
    Utf8,
}

/// <summary>
/// A MessagePack value as a tree, written and read with MessagePack-CSharp's writer and reader (the codec under test). <see cref="Repr()"/> is a canonical
/// text that the Python oracle also produces from what it decoded, so a test compares meaning, not only bytes
/// (a byte-order bug on both the write and the re-read side would still round-trip bytes).
/// </summary>
internal abstract record MsgNode
{
    public abstract void Write(ref MessagePackWriter writer);

    public abstract void Repr(StringBuilder sb);

    public string Repr()
    {
        var sb = new StringBuilder();
        Repr(sb);
        return sb.ToString();
    }

    /// <summary>Reads one value; nesting beyond <paramref name="maxDepth"/> is refused (untrusted-data security).</summary>
    public static MsgNode Read(ref MessagePackReader reader, int maxDepth = 64) =>
        Read(ref reader, MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(maxDepth));

    private static MsgNode Read(ref MessagePackReader reader, MessagePackSecurity security)
    {
        byte code = reader.NextCode;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return new NilNode();
            case MessagePackType.Boolean:
                return new BoolNode(reader.ReadBoolean());
            case MessagePackType.Integer:
                return code == MessagePackCode.UInt64
                    ? new IntNode(reader.ReadUInt64(), IntVia.UInt64)
                    : new IntNode(reader.ReadInt64(), IntVia.Int64);
            case MessagePackType.Float:
                return code == MessagePackCode.Float32 ? new Float32Node(reader.ReadSingle()) : new Float64Node(reader.ReadDouble());
            case MessagePackType.String:
                return new StrNode(FormatterSupport.ReadString(ref reader)!, StrVia.String);
            case MessagePackType.Binary:
                return new BinNode(System.Buffers.BuffersExtensions.ToArray(reader.ReadBytes()!.Value));
            case MessagePackType.Array:
            {
                security.DepthStep(ref reader);
                int count = reader.ReadArrayHeader();
                var items = new MsgNode[count];
                for (int i = 0; i < count; i++)
                {
                    items[i] = Read(ref reader, security);
                }

                reader.Depth--;
                return new ArrayNode(items);
            }

            case MessagePackType.Map:
            {
                security.DepthStep(ref reader);
                int count = reader.ReadMapHeader();
                var entries = new (MsgNode, MsgNode)[count];
                for (int i = 0; i < count; i++)
                {
                    var key = Read(ref reader, security);
                    entries[i] = (key, Read(ref reader, security));
                }

                reader.Depth--;
                return new MapNode(entries);
            }

            case MessagePackType.Extension:
            {
                var header = reader.ReadExtensionFormatHeader();
                var data = System.Buffers.BuffersExtensions.ToArray(reader.ReadRaw(header.Length));
                if (header.TypeCode == -1 && TimestampNode.TryDecode(data, out var timestamp))
                {
                    return timestamp;
                }

                return new ExtNode(header.TypeCode, data);
            }

            default:
                // The reader's own error for a byte that starts no value (0xc1).
                reader.Skip();
                throw new InvalidOperationException($"Skip accepted the invalid byte 0x{code:x2}");
        }
    }

    protected static void Hex(StringBuilder sb, ReadOnlySpan<byte> bytes) => sb.Append(Convert.ToHexStringLower(bytes));
}

internal sealed record NilNode : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.WriteNil();

    public override void Repr(StringBuilder sb) => sb.Append("nil");
}

internal sealed record BoolNode(bool Value) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.Write(Value);

    public override void Repr(StringBuilder sb) => sb.Append(Value ? "true" : "false");
}

internal sealed record IntNode(Int128 Value, IntVia Via) : MsgNode
{
    public override void Write(ref MessagePackWriter writer)
    {
        switch (Via)
        {
            case IntVia.SByte: writer.Write((sbyte)Value); break;
            case IntVia.Byte: writer.Write((byte)Value); break;
            case IntVia.Int16: writer.Write((short)Value); break;
            case IntVia.UInt16: writer.Write((ushort)Value); break;
            case IntVia.Int32: writer.Write((int)Value); break;
            case IntVia.UInt32: writer.Write((uint)Value); break;
            case IntVia.Int64: writer.Write((long)Value); break;
            default: writer.Write((ulong)Value); break;
        }
    }

    public override void Repr(StringBuilder sb) => sb.Append("i:").Append(Value.ToString(CultureInfo.InvariantCulture));
}

internal sealed record Float32Node(float Value) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.Write(Value);

    public override void Repr(StringBuilder sb) =>
        sb.Append("f:").Append(BitConverter.DoubleToUInt64Bits(Value).ToString("x16", CultureInfo.InvariantCulture));
}

internal sealed record Float64Node(double Value) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.Write(Value);

    public override void Repr(StringBuilder sb) =>
        sb.Append("f:").Append(BitConverter.DoubleToUInt64Bits(Value).ToString("x16", CultureInfo.InvariantCulture));
}

internal sealed record StrNode(string Value, StrVia Via) : MsgNode
{
    public override void Write(ref MessagePackWriter writer)
    {
        switch (Via)
        {
            case StrVia.Strict: FormatterSupport.WriteString(ref writer, Value); break;
            case StrVia.Utf8: writer.WriteString(Encoding.UTF8.GetBytes(Value)); break;
            default: writer.Write(Value); break;
        }
    }

    public override void Repr(StringBuilder sb)
    {
        sb.Append("s:");
        Hex(sb, Encoding.UTF8.GetBytes(Value));
    }
}

internal sealed record BinNode(byte[] Value) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.Write(Value);

    public override void Repr(StringBuilder sb)
    {
        sb.Append("b:");
        Hex(sb, Value);
    }
}

internal sealed record ArrayNode(MsgNode[] Items) : MsgNode
{
    public override void Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(Items.Length);
        foreach (var item in Items)
        {
            item.Write(ref writer);
        }
    }

    public override void Repr(StringBuilder sb)
    {
        sb.Append('[');
        for (int i = 0; i < Items.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            Items[i].Repr(sb);
        }

        sb.Append(']');
    }
}

internal sealed record MapNode((MsgNode Key, MsgNode Value)[] Entries) : MsgNode
{
    public override void Write(ref MessagePackWriter writer)
    {
        writer.WriteMapHeader(Entries.Length);
        foreach (var (key, value) in Entries)
        {
            key.Write(ref writer);
            value.Write(ref writer);
        }
    }

    public override void Repr(StringBuilder sb)
    {
        sb.Append('{');
        for (int i = 0; i < Entries.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            Entries[i].Key.Repr(sb);
            sb.Append(':');
            Entries[i].Value.Repr(sb);
        }

        sb.Append('}');
    }
}

internal sealed record ExtNode(sbyte Type, byte[] Data) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.WriteExtensionFormat(new ExtensionResult(Type, Data));

    public override void Repr(StringBuilder sb)
    {
        sb.Append("x:").Append(Type.ToString(CultureInfo.InvariantCulture)).Append(':');
        Hex(sb, Data);
    }
}

/// <summary>
/// A timestamp of any seconds and nanoseconds: MessagePack-CSharp writes timestamps only from a DateTime, so this is
/// written as the ext (type -1) in the smallest of the spec's three forms, encoded here from spec.md.
/// </summary>
internal sealed record TimestampNode(long Seconds, uint Nanoseconds) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.WriteExtensionFormat(new ExtensionResult(-1, Encode()));

    public override void Repr(StringBuilder sb) => sb.Append(CultureInfo.InvariantCulture, $"t:{Seconds}:{Nanoseconds}");

    private byte[] Encode()
    {
        if (Seconds >> 34 == 0)
        {
            ulong packed = ((ulong)Nanoseconds << 34) | (ulong)Seconds;
            if ((packed & 0xffffffff00000000UL) == 0)
            {
                var four = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(four, (uint)packed);
                return four;
            }

            var eight = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(eight, packed);
            return eight;
        }

        var twelve = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(twelve, Nanoseconds);
        BinaryPrimitives.WriteInt64BigEndian(twelve.AsSpan(4), Seconds);
        return twelve;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out MsgNode timestamp)
    {
        switch (data.Length)
        {
            case 4:
                timestamp = new TimestampNode(BinaryPrimitives.ReadUInt32BigEndian(data), 0);
                return true;
            case 8:
                ulong packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                timestamp = new TimestampNode((long)(packed & 0x3_ffff_ffffUL), (uint)(packed >> 34));
                return (packed >> 34) < 1_000_000_000;
            case 12:
                uint nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                timestamp = new TimestampNode(BinaryPrimitives.ReadInt64BigEndian(data[4..]), nanoseconds);
                return nanoseconds < 1_000_000_000;
            default:
                timestamp = null!;
                return false;
        }
    }
}

/// <summary>
/// A <see cref="DateTime"/> written through the writer's DateTime overload; its expected seconds and nanoseconds are
/// computed through <see cref="DateTimeOffset.ToUnixTimeSeconds"/>, not through the codec's own arithmetic.
/// </summary>
internal sealed record DateTimeNode(DateTime Value) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.Write(Value);

    public override void Repr(StringBuilder sb)
    {
        var utc = Value.Kind == DateTimeKind.Local ? Value.ToUniversalTime() : DateTime.SpecifyKind(Value, DateTimeKind.Utc);
        var offset = new DateTimeOffset(utc);
        long nanoseconds = (utc.Ticks % TimeSpan.TicksPerSecond) * 100;
        sb.Append(CultureInfo.InvariantCulture, $"t:{offset.ToUnixTimeSeconds()}:{nanoseconds}");
    }
}

/// <summary>
/// A <see cref="DateTimeOffset"/> through MessagePack-CSharp's formatter: the array <c>[timestamp of its clock time
/// read as UTC, offset in minutes]</c>, so the offset survives.
/// </summary>
internal sealed record DateTimeOffsetNode(DateTimeOffset Value) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) =>
        MessagePack.Formatters.DateTimeOffsetFormatter.Instance.Serialize(ref writer, Value, MaculaSerializer.DefaultOptions);

    public override void Repr(StringBuilder sb)
    {
        var clock = new DateTimeOffset(Value.DateTime.Ticks, TimeSpan.Zero);
        long nanoseconds = (clock.Ticks % TimeSpan.TicksPerSecond) * 100;
        sb.Append(CultureInfo.InvariantCulture, $"[t:{clock.ToUnixTimeSeconds()}:{nanoseconds},i:{(int)Value.Offset.TotalMinutes}]");
    }
}

/// <summary>Bytes produced by a formatter (for example a DTO), checked by the oracle as they are.</summary>
internal sealed record RawNode(byte[] Bytes, string ExpectedRepr) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.WriteRaw(Bytes);

    public override void Repr(StringBuilder sb) => sb.Append(ExpectedRepr);
}
