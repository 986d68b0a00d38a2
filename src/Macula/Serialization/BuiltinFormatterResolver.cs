using System.Buffers;
using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using System.Text;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Serialization;

/// <summary>
/// MessagePack-CSharp's formatters of the base class library types, by type: the table of its own
/// <c>BuiltinResolver</c>, with three changes. <see cref="Type"/> is left out (its formatter loads types by name,
/// which trimming cannot follow and untrusted input must not reach); <c>string</c> (and every collection of strings)
/// reads strictly (<see cref="FormatterSupport.ReadString"/>); <see cref="Int128"/> and <see cref="UInt128"/>, which
/// MessagePack-CSharp 2.5 has no formatter for, are added in the layout its 3.x writes.
/// </summary>
internal sealed class BuiltinFormatterResolver : IFormatterResolver
{
    public static readonly BuiltinFormatterResolver Instance = new();

    private static readonly Dictionary<Type, object> Formatters = new()
    {
        { typeof(bool), BooleanFormatter.Instance },
        { typeof(byte), ByteFormatter.Instance },
        { typeof(sbyte), SByteFormatter.Instance },
        { typeof(short), Int16Formatter.Instance },
        { typeof(ushort), UInt16Formatter.Instance },
        { typeof(int), Int32Formatter.Instance },
        { typeof(uint), UInt32Formatter.Instance },
        { typeof(long), Int64Formatter.Instance },
        { typeof(ulong), UInt64Formatter.Instance },
        { typeof(float), SingleFormatter.Instance },
        { typeof(double), DoubleFormatter.Instance },
        { typeof(char), CharFormatter.Instance },
        { typeof(DateTime), DateTimeFormatter.Instance },
        { typeof(DateOnly), DateOnlyFormatter.Instance },
        { typeof(TimeOnly), TimeOnlyFormatter.Instance },
        { typeof(Half), HalfFormatter.Instance },
        { typeof(Int128), Int128Formatter.Instance },
        { typeof(UInt128), UInt128Formatter.Instance },

        { typeof(bool?), NullableBooleanFormatter.Instance },
        { typeof(byte?), NullableByteFormatter.Instance },
        { typeof(sbyte?), NullableSByteFormatter.Instance },
        { typeof(short?), NullableInt16Formatter.Instance },
        { typeof(ushort?), NullableUInt16Formatter.Instance },
        { typeof(int?), NullableInt32Formatter.Instance },
        { typeof(uint?), NullableUInt32Formatter.Instance },
        { typeof(long?), NullableInt64Formatter.Instance },
        { typeof(ulong?), NullableUInt64Formatter.Instance },
        { typeof(float?), NullableSingleFormatter.Instance },
        { typeof(double?), NullableDoubleFormatter.Instance },
        { typeof(char?), NullableCharFormatter.Instance },
        { typeof(DateTime?), NullableDateTimeFormatter.Instance },
        { typeof(DateOnly?), new StaticNullableFormatter<DateOnly>(DateOnlyFormatter.Instance) },
        { typeof(TimeOnly?), new StaticNullableFormatter<TimeOnly>(TimeOnlyFormatter.Instance) },
        { typeof(Half?), new StaticNullableFormatter<Half>(HalfFormatter.Instance) },
        { typeof(Int128?), new StaticNullableFormatter<Int128>(Int128Formatter.Instance) },
        { typeof(UInt128?), new StaticNullableFormatter<UInt128>(UInt128Formatter.Instance) },

        { typeof(string), StrictStringFormatter.Instance },
        { typeof(decimal), DecimalFormatter.Instance },
        { typeof(decimal?), new StaticNullableFormatter<decimal>(DecimalFormatter.Instance) },
        { typeof(TimeSpan), TimeSpanFormatter.Instance },
        { typeof(TimeSpan?), new StaticNullableFormatter<TimeSpan>(TimeSpanFormatter.Instance) },
        { typeof(DateTimeOffset), DateTimeOffsetFormatter.Instance },
        { typeof(DateTimeOffset?), new StaticNullableFormatter<DateTimeOffset>(DateTimeOffsetFormatter.Instance) },
        { typeof(Guid), GuidFormatter.Instance },
        { typeof(Guid?), new StaticNullableFormatter<Guid>(GuidFormatter.Instance) },
        { typeof(Uri), UriFormatter.Instance },
        { typeof(Version), VersionFormatter.Instance },
        { typeof(StringBuilder), StringBuilderFormatter.Instance },
        { typeof(BitArray), BitArrayFormatter.Instance },
        { typeof(BigInteger), BigIntegerFormatter.Instance },
        { typeof(BigInteger?), new StaticNullableFormatter<BigInteger>(BigIntegerFormatter.Instance) },
        { typeof(Complex), ComplexFormatter.Instance },
        { typeof(Complex?), new StaticNullableFormatter<Complex>(ComplexFormatter.Instance) },
        { typeof(Nil), NilFormatter.Instance },
        { typeof(Nil?), NullableNilFormatter.Instance },

        { typeof(byte[]), ByteArrayFormatter.Instance },
        { typeof(Memory<byte>), ByteMemoryFormatter.Instance },
        { typeof(Memory<byte>?), new StaticNullableFormatter<Memory<byte>>(ByteMemoryFormatter.Instance) },
        { typeof(ReadOnlyMemory<byte>), ByteReadOnlyMemoryFormatter.Instance },
        { typeof(ReadOnlyMemory<byte>?), new StaticNullableFormatter<ReadOnlyMemory<byte>>(ByteReadOnlyMemoryFormatter.Instance) },
        { typeof(ReadOnlySequence<byte>), ByteReadOnlySequenceFormatter.Instance },
        { typeof(ReadOnlySequence<byte>?), new StaticNullableFormatter<ReadOnlySequence<byte>>(ByteReadOnlySequenceFormatter.Instance) },
        { typeof(ArraySegment<byte>), ByteArraySegmentFormatter.Instance },
        { typeof(ArraySegment<byte>?), new StaticNullableFormatter<ArraySegment<byte>>(ByteArraySegmentFormatter.Instance) },

        // Arrays and lists of primitives, so the common ones need no generated entry.
        { typeof(short[]), Int16ArrayFormatter.Instance },
        { typeof(int[]), Int32ArrayFormatter.Instance },
        { typeof(long[]), Int64ArrayFormatter.Instance },
        { typeof(ushort[]), UInt16ArrayFormatter.Instance },
        { typeof(uint[]), UInt32ArrayFormatter.Instance },
        { typeof(ulong[]), UInt64ArrayFormatter.Instance },
        { typeof(float[]), SingleArrayFormatter.Instance },
        { typeof(double[]), DoubleArrayFormatter.Instance },
        { typeof(bool[]), BooleanArrayFormatter.Instance },
        { typeof(sbyte[]), SByteArrayFormatter.Instance },
        { typeof(char[]), CharArrayFormatter.Instance },
        { typeof(DateTime[]), DateTimeArrayFormatter.Instance },
        { typeof(string[]), new ArrayFormatter<string>() },
        { typeof(List<short>), new ListFormatter<short>() },
        { typeof(List<int>), new ListFormatter<int>() },
        { typeof(List<long>), new ListFormatter<long>() },
        { typeof(List<ushort>), new ListFormatter<ushort>() },
        { typeof(List<uint>), new ListFormatter<uint>() },
        { typeof(List<ulong>), new ListFormatter<ulong>() },
        { typeof(List<float>), new ListFormatter<float>() },
        { typeof(List<double>), new ListFormatter<double>() },
        { typeof(List<bool>), new ListFormatter<bool>() },
        { typeof(List<byte>), new ListFormatter<byte>() },
        { typeof(List<sbyte>), new ListFormatter<sbyte>() },
        { typeof(List<char>), new ListFormatter<char>() },
        { typeof(List<DateTime>), new ListFormatter<DateTime>() },
        { typeof(List<string>), new ListFormatter<string>() },
    };

    private BuiltinFormatterResolver()
    {
    }

    /// <summary>The types this resolver has formatters for.</summary>
    public static IReadOnlyCollection<Type> Types => Formatters.Keys;

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = Formatters.TryGetValue(typeof(T), out object? formatter) ? (IMessagePackFormatter<T>)formatter : null;
    }
}

/// <summary>string as str (nil for null), through <see cref="FormatterSupport.WriteString"/> and <see cref="FormatterSupport.ReadString"/>, which refuse what UTF-8 cannot carry.</summary>
internal sealed class StrictStringFormatter : IMessagePackFormatter<string?>
{
    public static readonly StrictStringFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => FormatterSupport.WriteString(ref writer, value);

    public string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => FormatterSupport.ReadString(ref reader);
}

/// <summary>
/// <see cref="Int128"/> as a bin of 16 bytes, little-endian two's complement: the layout of MessagePack-CSharp 3.x's
/// Int128Formatter, so peers that upgrade keep reading it. (2.5 has no formatter for it.)
/// </summary>
internal sealed class Int128Formatter : IMessagePackFormatter<Int128>
{
    public static readonly Int128Formatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Int128 value, MessagePackSerializerOptions options)
    {
        writer.WriteBinHeader(16);
        BinaryPrimitives.WriteInt128LittleEndian(writer.GetSpan(16), value);
        writer.Advance(16);
    }

    public Int128 Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        Span<byte> bytes = stackalloc byte[16];
        ReadSixteen(ref reader, bytes, "Int128");
        return BinaryPrimitives.ReadInt128LittleEndian(bytes);
    }

    internal static void ReadSixteen(ref MessagePackReader reader, scoped Span<byte> bytes, string type)
    {
        var sequence = reader.ReadBytes() ?? throw new MessagePackSerializationException($"Expected {type} as a bin of 16 bytes, found nil.");
        if (sequence.Length != 16)
        {
            throw new MessagePackSerializationException($"Expected {type} as a bin of 16 bytes, found {sequence.Length} bytes.");
        }

        sequence.CopyTo(bytes);
    }
}

/// <summary><see cref="UInt128"/> as a bin of 16 bytes, little-endian: MessagePack-CSharp 3.x's layout.</summary>
internal sealed class UInt128Formatter : IMessagePackFormatter<UInt128>
{
    public static readonly UInt128Formatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, UInt128 value, MessagePackSerializerOptions options)
    {
        writer.WriteBinHeader(16);
        BinaryPrimitives.WriteUInt128LittleEndian(writer.GetSpan(16), value);
        writer.Advance(16);
    }

    public UInt128 Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        Span<byte> bytes = stackalloc byte[16];
        Int128Formatter.ReadSixteen(ref reader, bytes, "UInt128");
        return BinaryPrimitives.ReadUInt128LittleEndian(bytes);
    }
}
