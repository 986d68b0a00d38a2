using System.Globalization;

namespace Macula.Serialization;

/// <summary>The built-in formatters that generated code composes: primitives, common BCL types and collections.</summary>
public static class MessagePackFormatters
{
    /// <summary>bool as MessagePack bool.</summary>
    public static IMessagePackFormatter<bool> Boolean { get; } = new BooleanFormatter();
    /// <summary>byte as the smallest integer.</summary>
    public static IMessagePackFormatter<byte> Byte { get; } = new ByteFormatter();
    /// <summary>sbyte as the smallest integer.</summary>
    public static IMessagePackFormatter<sbyte> SByte { get; } = new SByteFormatter();
    /// <summary>short as the smallest integer.</summary>
    public static IMessagePackFormatter<short> Int16 { get; } = new Int16Formatter();
    /// <summary>ushort as the smallest integer.</summary>
    public static IMessagePackFormatter<ushort> UInt16 { get; } = new UInt16Formatter();
    /// <summary>int as the smallest integer.</summary>
    public static IMessagePackFormatter<int> Int32 { get; } = new Int32Formatter();
    /// <summary>uint as the smallest integer.</summary>
    public static IMessagePackFormatter<uint> UInt32 { get; } = new UInt32Formatter();
    /// <summary>long as the smallest integer.</summary>
    public static IMessagePackFormatter<long> Int64 { get; } = new Int64Formatter();
    /// <summary>ulong as the smallest integer.</summary>
    public static IMessagePackFormatter<ulong> UInt64 { get; } = new UInt64Formatter();
    /// <summary>float as float32.</summary>
    public static IMessagePackFormatter<float> Single { get; } = new SingleFormatter();
    /// <summary>double as float64.</summary>
    public static IMessagePackFormatter<double> Double { get; } = new DoubleFormatter();
    /// <summary>char as its UTF-16 code unit, an integer.</summary>
    public static IMessagePackFormatter<char> Char { get; } = new CharFormatter();
    /// <summary>string as str (nil for null).</summary>
    public static IMessagePackFormatter<string?> String { get; } = new StringFormatter();
    /// <summary>byte[] as bin (nil for null).</summary>
    public static IMessagePackFormatter<byte[]?> ByteArray { get; } = new ByteArrayFormatter();
    /// <summary>Guid as a 16-byte bin in RFC 4122 (big-endian) byte order.</summary>
    public static IMessagePackFormatter<Guid> Guid { get; } = new GuidFormatter();
    /// <summary>DateTime as the timestamp extension (UTC).</summary>
    public static IMessagePackFormatter<DateTime> DateTime { get; } = new DateTimeFormatter();
    /// <summary>DateTimeOffset as the timestamp extension; read back with offset zero (UTC).</summary>
    public static IMessagePackFormatter<DateTimeOffset> DateTimeOffset { get; } = new DateTimeOffsetFormatter();
    /// <summary>TimeSpan as an integer number of ticks (100 ns).</summary>
    public static IMessagePackFormatter<TimeSpan> TimeSpan { get; } = new TimeSpanFormatter();
    /// <summary>decimal as its invariant-culture string, so no precision is lost.</summary>
    public static IMessagePackFormatter<decimal> Decimal { get; } = new DecimalFormatter();

    private sealed class BooleanFormatter : IMessagePackFormatter<bool>
    {
        public void Serialize(ref MessagePackWriter writer, bool value) => writer.Write(value);
        public bool Deserialize(ref MessagePackReader reader) => reader.ReadBoolean();
    }

    private sealed class ByteFormatter : IMessagePackFormatter<byte>
    {
        public void Serialize(ref MessagePackWriter writer, byte value) => writer.Write(value);
        public byte Deserialize(ref MessagePackReader reader) => reader.ReadByte();
    }

    private sealed class SByteFormatter : IMessagePackFormatter<sbyte>
    {
        public void Serialize(ref MessagePackWriter writer, sbyte value) => writer.Write(value);
        public sbyte Deserialize(ref MessagePackReader reader) => reader.ReadSByte();
    }

    private sealed class Int16Formatter : IMessagePackFormatter<short>
    {
        public void Serialize(ref MessagePackWriter writer, short value) => writer.Write(value);
        public short Deserialize(ref MessagePackReader reader) => reader.ReadInt16();
    }

    private sealed class UInt16Formatter : IMessagePackFormatter<ushort>
    {
        public void Serialize(ref MessagePackWriter writer, ushort value) => writer.Write(value);
        public ushort Deserialize(ref MessagePackReader reader) => reader.ReadUInt16();
    }

    private sealed class Int32Formatter : IMessagePackFormatter<int>
    {
        public void Serialize(ref MessagePackWriter writer, int value) => writer.Write(value);
        public int Deserialize(ref MessagePackReader reader) => reader.ReadInt32();
    }

    private sealed class UInt32Formatter : IMessagePackFormatter<uint>
    {
        public void Serialize(ref MessagePackWriter writer, uint value) => writer.Write(value);
        public uint Deserialize(ref MessagePackReader reader) => reader.ReadUInt32();
    }

    private sealed class Int64Formatter : IMessagePackFormatter<long>
    {
        public void Serialize(ref MessagePackWriter writer, long value) => writer.Write(value);
        public long Deserialize(ref MessagePackReader reader) => reader.ReadInt64();
    }

    private sealed class UInt64Formatter : IMessagePackFormatter<ulong>
    {
        public void Serialize(ref MessagePackWriter writer, ulong value) => writer.Write(value);
        public ulong Deserialize(ref MessagePackReader reader) => reader.ReadUInt64();
    }

    private sealed class SingleFormatter : IMessagePackFormatter<float>
    {
        public void Serialize(ref MessagePackWriter writer, float value) => writer.Write(value);
        public float Deserialize(ref MessagePackReader reader) => reader.ReadSingle();
    }

    private sealed class DoubleFormatter : IMessagePackFormatter<double>
    {
        public void Serialize(ref MessagePackWriter writer, double value) => writer.Write(value);
        public double Deserialize(ref MessagePackReader reader) => reader.ReadDouble();
    }

    private sealed class CharFormatter : IMessagePackFormatter<char>
    {
        public void Serialize(ref MessagePackWriter writer, char value) => writer.Write((ushort)value);
        public char Deserialize(ref MessagePackReader reader) => (char)reader.ReadUInt16();
    }

    private sealed class StringFormatter : IMessagePackFormatter<string?>
    {
        public void Serialize(ref MessagePackWriter writer, string? value) => writer.Write(value);
        public string? Deserialize(ref MessagePackReader reader) => reader.ReadString();
    }

    private sealed class ByteArrayFormatter : IMessagePackFormatter<byte[]?>
    {
        public void Serialize(ref MessagePackWriter writer, byte[]? value) => writer.Write(value);
        public byte[]? Deserialize(ref MessagePackReader reader) => reader.ReadBytes();
    }

    private sealed class GuidFormatter : IMessagePackFormatter<Guid>
    {
        public void Serialize(ref MessagePackWriter writer, Guid value)
        {
            Span<byte> bytes = stackalloc byte[16];
            value.TryWriteBytes(bytes, bigEndian: true, out _);
            writer.WriteBinary(bytes);
        }

        public Guid Deserialize(ref MessagePackReader reader)
        {
            int start = reader.Position;
            var bytes = reader.ReadBinarySpan();
            if (bytes.Length != 16)
            {
                throw new MaculaSerializationException($"Expected a Guid as a bin of 16 bytes, found {bytes.Length} bytes", start);
            }

            return new Guid(bytes, bigEndian: true);
        }
    }

    private sealed class DateTimeFormatter : IMessagePackFormatter<DateTime>
    {
        public void Serialize(ref MessagePackWriter writer, DateTime value) => writer.Write(value);
        public DateTime Deserialize(ref MessagePackReader reader) => reader.ReadDateTime();
    }

    private sealed class DateTimeOffsetFormatter : IMessagePackFormatter<DateTimeOffset>
    {
        public void Serialize(ref MessagePackWriter writer, DateTimeOffset value) => writer.Write(value);
        public DateTimeOffset Deserialize(ref MessagePackReader reader) => new(reader.ReadDateTime(), System.TimeSpan.Zero);
    }

    private sealed class TimeSpanFormatter : IMessagePackFormatter<TimeSpan>
    {
        public void Serialize(ref MessagePackWriter writer, TimeSpan value) => writer.Write(value.Ticks);
        public TimeSpan Deserialize(ref MessagePackReader reader) => new(reader.ReadInt64());
    }

    private sealed class DecimalFormatter : IMessagePackFormatter<decimal>
    {
        public void Serialize(ref MessagePackWriter writer, decimal value)
        {
            Span<char> chars = stackalloc char[64];
            value.TryFormat(chars, out int written, default, CultureInfo.InvariantCulture);
            writer.Write(chars.Slice(0, written));
        }

        public decimal Deserialize(ref MessagePackReader reader)
        {
            int start = reader.Position;
            var utf8 = reader.ReadStringSpan();
            if (decimal.TryParse(utf8, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out decimal value))
            {
                return value;
            }

            throw new MaculaSerializationException("Expected a decimal as an invariant-culture number string, found a str that is not a number", start);
        }
    }
}
