using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Macula.Serialization;

/// <summary>
/// Reads MessagePack from a span. Accepts every valid encoding of a value; every problem (truncation, wrong type,
/// lying length, too deep, bad UTF-8, overflow) raises <see cref="MaculaSerializationException"/> with the offset.
/// Lengths are checked against the bytes left before anything is allocated.
/// </summary>
public ref struct MessagePackReader
{
    /// <summary>The default limit of nested arrays, maps and objects.</summary>
    public const int DefaultMaxDepth = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;
    private int _depth;

    /// <summary>
    /// Creates a reader over <paramref name="buffer"/> that refuses arrays, maps and objects nested deeper than
    /// <paramref name="maxDepth"/> (and, whatever the limit, deeper than the thread's stack allows).
    /// </summary>
    public MessagePackReader(ReadOnlySpan<byte> buffer, int maxDepth = DefaultMaxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        _buffer = buffer;
        _position = 0;
        _depth = 0;
        MaxDepth = maxDepth;
    }

    /// <summary>The limit of nested arrays, maps and objects.</summary>
    public int MaxDepth { get; }

    /// <summary>The offset of the next byte to read.</summary>
    public readonly int Position => _position;

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool End => _position >= _buffer.Length;

    /// <summary>The current nesting depth.</summary>
    public readonly int Depth => _depth;

    /// <summary>The family of the next value.</summary>
    public readonly MessagePackType NextType
    {
        get
        {
            if (_position >= _buffer.Length)
            {
                throw Truncated("a value", 1);
            }

            byte code = _buffer[_position];
            return code switch
            {
                <= MessagePackCode.MaxFixInt => MessagePackType.Integer,
                <= MessagePackCode.MaxFixMap => MessagePackType.Map,
                <= MessagePackCode.MaxFixArray => MessagePackType.Array,
                <= MessagePackCode.MaxFixStr => MessagePackType.String,
                MessagePackCode.Nil => MessagePackType.Nil,
                MessagePackCode.False or MessagePackCode.True => MessagePackType.Boolean,
                MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32 => MessagePackType.Binary,
                MessagePackCode.Ext8 or MessagePackCode.Ext16 or MessagePackCode.Ext32 => MessagePackType.Extension,
                MessagePackCode.Float32 or MessagePackCode.Float64 => MessagePackType.Float,
                >= MessagePackCode.UInt8 and <= MessagePackCode.Int64 => MessagePackType.Integer,
                >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16 => MessagePackType.Extension,
                >= MessagePackCode.Str8 and <= MessagePackCode.Str32 => MessagePackType.String,
                MessagePackCode.Array16 or MessagePackCode.Array32 => MessagePackType.Array,
                MessagePackCode.Map16 or MessagePackCode.Map32 => MessagePackType.Map,
                >= MessagePackCode.MinNegativeFixInt => MessagePackType.Integer,
                _ => MessagePackType.Unknown,
            };
        }
    }

    /// <summary>The format byte of the next value (does not consume it), for callers that must tell float32 from float64.</summary>
    public readonly byte NextCode
    {
        get
        {
            if (_position >= _buffer.Length)
            {
                throw Truncated("a value", 1);
            }

            return _buffer[_position];
        }
    }

    /// <summary>Whether the next value is nil (does not consume it).</summary>
    public readonly bool IsNil => _position < _buffer.Length && _buffer[_position] == MessagePackCode.Nil;

    /// <summary>Consumes a nil and returns <see langword="true"/>, or returns <see langword="false"/> and consumes nothing.</summary>
    public bool TryReadNil()
    {
        if (IsNil)
        {
            _position++;
            return true;
        }

        return false;
    }

    /// <summary>Reads nil.</summary>
    public void ReadNil()
    {
        byte code = PeekCode("nil");
        if (code != MessagePackCode.Nil)
        {
            throw Unexpected("nil", code);
        }

        _position++;
    }

    /// <summary>Reads a boolean.</summary>
    public bool ReadBoolean()
    {
        byte code = PeekCode("bool");
        switch (code)
        {
            case MessagePackCode.True: _position++; return true;
            case MessagePackCode.False: _position++; return false;
            default: throw Unexpected("bool", code);
        }
    }

    /// <summary>Reads any integer encoding into a 64-bit signed integer.</summary>
    public long ReadInt64()
    {
        if (TryReadFixInt(out int small))
        {
            return small;
        }

        int start = _position;
        byte code = PeekCode("an integer");
        if (code == MessagePackCode.UInt64)
        {
            var span = Take(9, "uint64").Slice(1);
            ulong u = BinaryPrimitives.ReadUInt64BigEndian(span);
            if (u > long.MaxValue)
            {
                _position = start;
                throw Overflow("Int64", u.ToString(System.Globalization.CultureInfo.InvariantCulture), start);
            }

            return (long)u;
        }

        return ReadIntegerCore("an integer");
    }

    /// <summary>Reads any integer encoding into a 64-bit unsigned integer.</summary>
    public ulong ReadUInt64()
    {
        int start = _position;
        byte code = PeekCode("an integer");
        if (code == MessagePackCode.UInt64)
        {
            return BinaryPrimitives.ReadUInt64BigEndian(Take(9, "uint64").Slice(1));
        }

        long value = ReadIntegerCore("an integer");
        if (value < 0)
        {
            _position = start;
            throw Overflow("UInt64", value.ToString(System.Globalization.CultureInfo.InvariantCulture), start);
        }

        return (ulong)value;
    }

    /// <summary>Reads an integer that must fit <see cref="int"/>.</summary>
    public int ReadInt32() => TryReadFixInt(out int small) ? small : (int)ReadRanged(int.MinValue, int.MaxValue, "Int32");

    /// <summary>Reads an integer that must fit <see cref="short"/>.</summary>
    public short ReadInt16() => (short)ReadRanged(short.MinValue, short.MaxValue, "Int16");

    /// <summary>Reads an integer that must fit <see cref="sbyte"/>.</summary>
    public sbyte ReadSByte() => (sbyte)ReadRanged(sbyte.MinValue, sbyte.MaxValue, "SByte");

    /// <summary>Reads an integer that must fit <see cref="uint"/>.</summary>
    public uint ReadUInt32() => (uint)ReadRanged(0, uint.MaxValue, "UInt32");

    /// <summary>Reads an integer that must fit <see cref="ushort"/>.</summary>
    public ushort ReadUInt16() => (ushort)ReadRanged(0, ushort.MaxValue, "UInt16");

    /// <summary>Reads an integer that must fit <see cref="byte"/>.</summary>
    public byte ReadByte() => (byte)ReadRanged(0, byte.MaxValue, "Byte");

    /// <summary>Reads a float32 or float64 (or an integer) as a <see cref="double"/>.</summary>
    public double ReadDouble()
    {
        if (_buffer.Length - _position >= 9 && _buffer[_position] == MessagePackCode.Float64)
        {
            double value = BinaryPrimitives.ReadDoubleBigEndian(_buffer.Slice(_position + 1, 8));
            _position += 9;
            return value;
        }

        byte code = PeekCode("a float");
        switch (code)
        {
            case MessagePackCode.Float64:
                return BinaryPrimitives.ReadDoubleBigEndian(Take(9, "float64").Slice(1));
            case MessagePackCode.Float32:
                return BinaryPrimitives.ReadSingleBigEndian(Take(5, "float32").Slice(1));
            case MessagePackCode.UInt64:
                return ReadUInt64();
            default:
                if (IsIntegerCode(code))
                {
                    return ReadIntegerCore("a float");
                }

                throw Unexpected("a float", code);
        }
    }

    /// <summary>Reads a float32 (or an integer) as a <see cref="float"/>; a float64 is narrowed.</summary>
    public float ReadSingle()
    {
        byte code = PeekCode("a float");
        if (code == MessagePackCode.Float32)
        {
            return BinaryPrimitives.ReadSingleBigEndian(Take(5, "float32").Slice(1));
        }

        return (float)ReadDouble();
    }

    /// <summary>Reads a string, or <see langword="null"/> for nil.</summary>
    public string? ReadString()
    {
        int start = _position;
        if (start < _buffer.Length)
        {
            byte code = _buffer[start];
            int length = code - MessagePackCode.MinFixStr;
            if ((uint)length <= 31u && _buffer.Length - start - 1 >= length)
            {
                _position = start + 1 + length;
                return DecodeUtf8(_buffer.Slice(start + 1, length), start);
            }

            if (code == MessagePackCode.Nil)
            {
                _position++;
                return null;
            }
        }

        var bytes = ReadStringSpan();
        return DecodeUtf8(bytes, start);
    }

    private string DecodeUtf8(ReadOnlySpan<byte> bytes, int start)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            _position = start;
            throw new MaculaSerializationException("Expected a str of valid UTF-8, found invalid UTF-8 bytes", start);
        }
    }

    /// <summary>Reads the UTF-8 bytes of a str without decoding them.</summary>
    public ReadOnlySpan<byte> ReadStringSpan()
    {
        int start = _position;
        byte code = PeekCode("a str");
        int headerLength;
        long length;
        if (code >= MessagePackCode.MinFixStr && code <= MessagePackCode.MaxFixStr)
        {
            headerLength = 1;
            length = code & 0x1f;
        }
        else
        {
            switch (code)
            {
                case MessagePackCode.Str8: headerLength = 2; length = Take(2, "str8").Slice(1)[0]; _position = start; break;
                case MessagePackCode.Str16: headerLength = 3; length = BinaryPrimitives.ReadUInt16BigEndian(Take(3, "str16").Slice(1)); _position = start; break;
                case MessagePackCode.Str32: headerLength = 5; length = BinaryPrimitives.ReadUInt32BigEndian(Take(5, "str32").Slice(1)); _position = start; break;
                default: throw Unexpected("a str", code);
            }
        }

        return TakeBody(headerLength, length, "str");
    }

    /// <summary>Reads a bin as a new array, or <see langword="null"/> for nil.</summary>
    public byte[]? ReadBytes()
    {
        if (TryReadNil())
        {
            return null;
        }

        return ReadBinarySpan().ToArray();
    }

    /// <summary>Reads the bytes of a bin without copying them.</summary>
    public ReadOnlySpan<byte> ReadBinarySpan()
    {
        int start = _position;
        byte code = PeekCode("a bin");
        int headerLength;
        long length;
        switch (code)
        {
            case MessagePackCode.Bin8: headerLength = 2; length = Take(2, "bin8").Slice(1)[0]; break;
            case MessagePackCode.Bin16: headerLength = 3; length = BinaryPrimitives.ReadUInt16BigEndian(Take(3, "bin16").Slice(1)); break;
            case MessagePackCode.Bin32: headerLength = 5; length = BinaryPrimitives.ReadUInt32BigEndian(Take(5, "bin32").Slice(1)); break;
            default: throw Unexpected("a bin", code);
        }

        _position = start;
        return TakeBody(headerLength, length, "bin");
    }

    /// <summary>
    /// Reads an array header. The count is checked against the bytes left (each element takes at least one byte),
    /// so it is safe to size a collection by it.
    /// </summary>
    public int ReadArrayHeader()
    {
        int start = _position;
        if (start < _buffer.Length)
        {
            int small = _buffer[start] - MessagePackCode.MinFixArray;
            if ((uint)small <= 15u && _buffer.Length - start - 1 >= small)
            {
                _position = start + 1;
                return small;
            }
        }

        byte code = PeekCode("an array");
        long count;
        if (code >= MessagePackCode.MinFixArray && code <= MessagePackCode.MaxFixArray)
        {
            _position++;
            count = code & 0x0f;
        }
        else if (code == MessagePackCode.Array16)
        {
            count = BinaryPrimitives.ReadUInt16BigEndian(Take(3, "array16").Slice(1));
        }
        else if (code == MessagePackCode.Array32)
        {
            count = BinaryPrimitives.ReadUInt32BigEndian(Take(5, "array32").Slice(1));
        }
        else
        {
            throw Unexpected("an array", code);
        }

        // Each element takes at least one byte, so a count above the bytes left is a lie: refusing it here keeps
        // callers from sizing a collection by an untrusted number.
        long left = _buffer.Length - _position;
        if (count > left)
        {
            _position = start;
            throw new MaculaSerializationException($"Expected an array of {count} elements (at least {count} bytes), found only {left} bytes left", start);
        }

        return (int)count;
    }

    /// <summary>Reads a map header; the count is checked against the bytes left (two per entry at least).</summary>
    public int ReadMapHeader()
    {
        int start = _position;
        byte code = PeekCode("a map");
        long count;
        if (code >= MessagePackCode.MinFixMap && code <= MessagePackCode.MaxFixMap)
        {
            _position++;
            count = code & 0x0f;
        }
        else if (code == MessagePackCode.Map16)
        {
            count = BinaryPrimitives.ReadUInt16BigEndian(Take(3, "map16").Slice(1));
        }
        else if (code == MessagePackCode.Map32)
        {
            count = BinaryPrimitives.ReadUInt32BigEndian(Take(5, "map32").Slice(1));
        }
        else
        {
            throw Unexpected("a map", code);
        }

        long left = _buffer.Length - _position;
        if (count * 2 > left)
        {
            _position = start;
            throw new MaculaSerializationException($"Expected a map of {count} entries (at least {count * 2} bytes), found only {left} bytes left", start);
        }

        return (int)count;
    }

    /// <summary>Reads an extension header: its type code and data length (checked against the bytes left).</summary>
    public (sbyte TypeCode, int Length) ReadExtensionHeader()
    {
        int start = _position;
        byte code = PeekCode("an ext");
        int headerLength;
        long length;
        switch (code)
        {
            case MessagePackCode.FixExt1: headerLength = 2; length = 1; break;
            case MessagePackCode.FixExt2: headerLength = 2; length = 2; break;
            case MessagePackCode.FixExt4: headerLength = 2; length = 4; break;
            case MessagePackCode.FixExt8: headerLength = 2; length = 8; break;
            case MessagePackCode.FixExt16: headerLength = 2; length = 16; break;
            case MessagePackCode.Ext8: headerLength = 3; length = Take(2, "ext8").Slice(1)[0]; break;
            case MessagePackCode.Ext16: headerLength = 4; length = BinaryPrimitives.ReadUInt16BigEndian(Take(3, "ext16").Slice(1)); break;
            case MessagePackCode.Ext32: headerLength = 6; length = BinaryPrimitives.ReadUInt32BigEndian(Take(5, "ext32").Slice(1)); break;
            default: throw Unexpected("an ext", code);
        }

        _position = start;
        if (_buffer.Length - start < headerLength)
        {
            throw Truncated("an ext header", headerLength);
        }

        sbyte type = unchecked((sbyte)_buffer[start + headerLength - 1]);
        if (length > _buffer.Length - start - headerLength)
        {
            throw new MaculaSerializationException($"Expected an ext of {length} bytes, found only {_buffer.Length - start - headerLength} bytes left", start);
        }

        _position = start + headerLength;
        return (type, (int)length);
    }

    /// <summary>Reads <paramref name="length"/> raw bytes (for example the data of an extension).</summary>
    public ReadOnlySpan<byte> ReadRaw(int length)
    {
        if (length < 0 || length > _buffer.Length - _position)
        {
            throw Truncated($"{length} raw bytes", length);
        }

        var span = _buffer.Slice(_position, length);
        _position += length;
        return span;
    }

    /// <summary>
    /// Reads a timestamp extension (type -1) in its 32, 64 or 96-bit form as seconds since the Unix epoch and
    /// nanoseconds (0 to 999,999,999), exactly as on the wire.
    /// </summary>
    public (long Seconds, uint Nanoseconds) ReadTimestamp()
    {
        int start = _position;
        byte code = PeekCode("a timestamp");
        sbyte type;
        int length;
        if (code == MessagePackCode.FixExt4 && _buffer.Length - start >= 6)
        {
            type = unchecked((sbyte)_buffer[start + 1]);
            length = 4;
            _position = start + 2;
        }
        else if (code == MessagePackCode.FixExt8 && _buffer.Length - start >= 10)
        {
            type = unchecked((sbyte)_buffer[start + 1]);
            length = 8;
            _position = start + 2;
        }
        else if (NextType != MessagePackType.Extension)
        {
            throw Unexpected("a timestamp ext", code);
        }
        else
        {
            // Any ext header carries a timestamp as long as the type is -1 and the length is 4, 8 or 12: the spec
            // names fixext4/fixext8/ext8, but other writers may pick a longer header and the value is the same.
            (type, length) = ReadExtensionHeader();
        }

        if (type != MessagePackCode.TimestampExtType)
        {
            _position = start;
            throw new MaculaSerializationException($"Expected a timestamp ext (type -1), found ext type {type}", start);
        }

        long seconds;
        uint nanoseconds;
        switch (length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Slice(_position, 4));
                nanoseconds = 0;
                break;
            case 8:
                ulong data64 = BinaryPrimitives.ReadUInt64BigEndian(_buffer.Slice(_position, 8));
                nanoseconds = (uint)(data64 >> 34);
                seconds = (long)(data64 & 0x00000003ffffffffUL);
                break;
            case 12:
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Slice(_position, 4));
                seconds = BinaryPrimitives.ReadInt64BigEndian(_buffer.Slice(_position + 4, 8));
                break;
            default:
                _position = start;
                throw new MaculaSerializationException($"Expected a timestamp of 4, 8 or 12 bytes, found {length} bytes", start);
        }

        if (nanoseconds > 999_999_999)
        {
            _position = start;
            throw new MaculaSerializationException($"Expected timestamp nanoseconds below 1e9, found {nanoseconds}", start);
        }

        _position += length;
        return (seconds, nanoseconds);
    }

    /// <summary>
    /// Reads a timestamp extension (type -1, 32/64/96-bit) as a UTC <see cref="DateTime"/>; nanoseconds below
    /// DateTime's 100 ns tick are dropped.
    /// </summary>
    public DateTime ReadDateTime()
    {
        int start = _position;
        var (seconds, nanoseconds) = ReadTimestamp();

        const long minSeconds = -62135596800L; // 0001-01-01T00:00:00Z
        const long maxSeconds = 253402300799L; // 9999-12-31T23:59:59Z
        if (seconds < minSeconds || seconds > maxSeconds)
        {
            _position = start;
            throw new MaculaSerializationException($"Expected a timestamp within DateTime's range, found {seconds} seconds since the epoch", start);
        }

        long ticks = DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100);
        return new DateTime(ticks, DateTimeKind.Utc);
    }

    /// <summary>Skips one value of any type, nested values included, within the depth limit.</summary>
    public void Skip()
    {
        int start = _position;
        byte code = PeekCode("a value");
        switch (NextType)
        {
            case MessagePackType.Nil:
            case MessagePackType.Boolean:
                _position++;
                break;
            case MessagePackType.Integer:
                if (code == MessagePackCode.UInt64)
                {
                    Take(9, "uint64");
                }
                else
                {
                    ReadIntegerCore("an integer");
                }

                break;
            case MessagePackType.Float:
                Take(code == MessagePackCode.Float32 ? 5 : 9, "a float");
                break;
            case MessagePackType.String:
                ReadStringSpan();
                break;
            case MessagePackType.Binary:
                ReadBinarySpan();
                break;
            case MessagePackType.Extension:
                var (_, length) = ReadExtensionHeader();
                _position += length;
                break;
            case MessagePackType.Array:
                // Recursion is bounded by MaxDepth, so hostile nesting cannot overflow the stack.
                EnterNestingAt(start);
                for (int i = ReadArrayHeader(); i > 0; i--)
                {
                    Skip();
                }

                ExitNesting();
                break;
            case MessagePackType.Map:
                EnterNestingAt(start);
                for (int i = ReadMapHeader(); i > 0; i--)
                {
                    Skip();
                    Skip();
                }

                ExitNesting();
                break;
            default:
                throw Unexpected("a value", code);
        }
    }

    /// <summary>Enters a nested container (object, array or map); throws when the depth limit is passed.</summary>
    public void EnterNesting()
    {
        EnterNestingAt(_position);
    }

    /// <summary>Leaves a nested container entered with <see cref="EnterNesting"/>.</summary>
    public void ExitNesting()
    {
        if (_depth > 0)
        {
            _depth--;
        }
    }

    private void EnterNestingAt(int offset)
    {
        if (++_depth > MaxDepth)
        {
            throw new MaculaSerializationException($"Expected nesting of at most {MaxDepth} levels, found deeper nesting", offset);
        }

        // A caller may raise MaxDepth past what the thread's stack holds; running out of stack would kill the
        // process, so that limit is reported like the configured one.
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new MaculaSerializationException($"Expected nesting that fits the thread's stack, found {_depth} levels", offset);
        }
    }

    private long ReadRanged(long min, long max, string typeName)
    {
        int start = _position;
        byte code = PeekCode("an integer");
        long value;
        if (code == MessagePackCode.UInt64)
        {
            ulong u = BinaryPrimitives.ReadUInt64BigEndian(Take(9, "uint64").Slice(1));
            if (u > (ulong)max)
            {
                _position = start;
                throw Overflow(typeName, u.ToString(System.Globalization.CultureInfo.InvariantCulture), start);
            }

            return (long)u;
        }

        value = ReadIntegerCore("an integer");
        if (value < min || value > max)
        {
            _position = start;
            throw Overflow(typeName, value.ToString(System.Globalization.CultureInfo.InvariantCulture), start);
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadFixInt(out int value)
    {
        if (_position < _buffer.Length)
        {
            byte code = _buffer[_position];
            if (code <= MessagePackCode.MaxFixInt || code >= MessagePackCode.MinNegativeFixInt)
            {
                _position++;
                value = code <= MessagePackCode.MaxFixInt ? code : unchecked((sbyte)code);
                return true;
            }
        }

        value = 0;
        return false;
    }

    private static bool IsIntegerCode(byte code) =>
        code <= MessagePackCode.MaxFixInt || code >= MessagePackCode.MinNegativeFixInt ||
        (code >= MessagePackCode.UInt8 && code <= MessagePackCode.Int64);

    // Reads every integer form except uint64 (handled by callers because it may not fit a long).
    private long ReadIntegerCore(string expected)
    {
        byte code = PeekCode(expected);
        if (code <= MessagePackCode.MaxFixInt)
        {
            _position++;
            return code;
        }

        if (code >= MessagePackCode.MinNegativeFixInt)
        {
            _position++;
            return unchecked((sbyte)code);
        }

        switch (code)
        {
            case MessagePackCode.UInt8: return Take(2, "uint8")[1];
            case MessagePackCode.UInt16: return BinaryPrimitives.ReadUInt16BigEndian(Take(3, "uint16").Slice(1));
            case MessagePackCode.UInt32: return BinaryPrimitives.ReadUInt32BigEndian(Take(5, "uint32").Slice(1));
            case MessagePackCode.Int8: return unchecked((sbyte)Take(2, "int8")[1]);
            case MessagePackCode.Int16: return BinaryPrimitives.ReadInt16BigEndian(Take(3, "int16").Slice(1));
            case MessagePackCode.Int32: return BinaryPrimitives.ReadInt32BigEndian(Take(5, "int32").Slice(1));
            case MessagePackCode.Int64: return BinaryPrimitives.ReadInt64BigEndian(Take(9, "int64").Slice(1));
            default: throw Unexpected(expected, code);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly byte PeekCode(string expected)
    {
        if (_position >= _buffer.Length)
        {
            throw Truncated(expected, 1);
        }

        return _buffer[_position];
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (_buffer.Length - _position < count)
        {
            throw Truncated(what, count);
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    private ReadOnlySpan<byte> TakeBody(int headerLength, long length, string what)
    {
        int start = _position;
        if (_buffer.Length - start < headerLength)
        {
            throw Truncated(what + " header", headerLength);
        }

        long left = _buffer.Length - start - headerLength;
        if (length > left)
        {
            throw new MaculaSerializationException($"Expected a {what} of {length} bytes, found only {left} bytes left", start);
        }

        var span = _buffer.Slice(start + headerLength, (int)length);
        _position = start + headerLength + (int)length;
        return span;
    }

    private readonly MaculaSerializationException Truncated(string expected, int needed) =>
        new($"Expected {expected} ({needed} bytes), found the end of the input with {Math.Max(0, _buffer.Length - _position)} bytes left", _position);

    private readonly MaculaSerializationException Unexpected(string expected, byte code) =>
        new($"Expected {expected}, found {MessagePackCode.Describe(code)} (0x{code:x2})", _position);

    private static MaculaSerializationException Overflow(string typeName, string value, int offset) =>
        new($"Expected an integer that fits {typeName}, found {value}", offset);
}
