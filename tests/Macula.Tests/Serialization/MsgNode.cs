using System.Globalization;
using System.Text;
using Macula.Serialization;

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

/// <summary>Which writer entry point a string goes through.</summary>
internal enum StrVia
{
    String,
    Chars,
    Utf8,
}

/// <summary>
/// A MessagePack value as a tree, written and read with the codec under test. <see cref="Repr()"/> is a canonical
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

    public static MsgNode Read(ref MessagePackReader reader)
    {
        byte code = reader.NextCode;
        switch (reader.NextType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return new NilNode();
            case MessagePackType.Boolean:
                return new BoolNode(reader.ReadBoolean());
            case MessagePackType.Integer:
                return code == 0xcf
                    ? new IntNode(reader.ReadUInt64(), IntVia.UInt64)
                    : new IntNode(reader.ReadInt64(), IntVia.Int64);
            case MessagePackType.Float:
                return code == 0xca ? new Float32Node(reader.ReadSingle()) : new Float64Node(reader.ReadDouble());
            case MessagePackType.String:
                return new StrNode(reader.ReadString()!, StrVia.String);
            case MessagePackType.Binary:
                return new BinNode(reader.ReadBytes()!);
            case MessagePackType.Array:
            {
                reader.EnterNesting();
                int count = reader.ReadArrayHeader();
                var items = new MsgNode[count];
                for (int i = 0; i < count; i++)
                {
                    items[i] = Read(ref reader);
                }

                reader.ExitNesting();
                return new ArrayNode(items);
            }

            case MessagePackType.Map:
            {
                reader.EnterNesting();
                int count = reader.ReadMapHeader();
                var entries = new (MsgNode, MsgNode)[count];
                for (int i = 0; i < count; i++)
                {
                    var key = Read(ref reader);
                    entries[i] = (key, Read(ref reader));
                }

                reader.ExitNesting();
                return new MapNode(entries);
            }

            case MessagePackType.Extension:
            {
                // Look at the type on a copy so the timestamp path reads the value from its first byte.
                var peek = reader;
                var (type, length) = peek.ReadExtensionHeader();
                if (type == -1 && length is 4 or 8 or 12)
                {
                    var (seconds, nanoseconds) = reader.ReadTimestamp();
                    return new TimestampNode(seconds, nanoseconds);
                }

                reader.ReadExtensionHeader();
                return new ExtNode(type, reader.ReadRaw(length).ToArray());
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
            case StrVia.Chars: writer.Write(Value.AsSpan()); break;
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
    public override void Write(ref MessagePackWriter writer) => writer.WriteExtension(Type, Data);

    public override void Repr(StringBuilder sb)
    {
        sb.Append("x:").Append(Type.ToString(CultureInfo.InvariantCulture)).Append(':');
        Hex(sb, Data);
    }
}

internal sealed record TimestampNode(long Seconds, uint Nanoseconds) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.WriteTimestamp(Seconds, Nanoseconds);

    public override void Repr(StringBuilder sb) => sb.Append(CultureInfo.InvariantCulture, $"t:{Seconds}:{Nanoseconds}");
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

/// <summary>A <see cref="DateTimeOffset"/> written through the writer's DateTimeOffset overload.</summary>
internal sealed record DateTimeOffsetNode(DateTimeOffset Value) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.Write(Value);

    public override void Repr(StringBuilder sb)
    {
        long nanoseconds = (Value.UtcTicks % TimeSpan.TicksPerSecond) * 100;
        sb.Append(CultureInfo.InvariantCulture, $"t:{Value.ToUnixTimeSeconds()}:{nanoseconds}");
    }
}

/// <summary>Bytes produced by a formatter (for example a DTO), checked by the oracle as they are.</summary>
internal sealed record RawNode(byte[] Bytes, string ExpectedRepr) : MsgNode
{
    public override void Write(ref MessagePackWriter writer) => writer.WriteRaw(Bytes);

    public override void Repr(StringBuilder sb) => sb.Append(ExpectedRepr);
}
