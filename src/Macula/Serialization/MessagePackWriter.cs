using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Macula.Serialization;

/// <summary>
/// Writes MessagePack into an <see cref="IBufferWriter{T}"/>, always choosing the smallest encoding, as the
/// reference implementations do.
/// </summary>
public ref struct MessagePackWriter
{
    // Strings up to this many chars are encoded in one pass into room for the worst case (3 bytes a char); longer
    // ones are counted first so that the buffer grows only by what they need.
    private const int OnePassMaxChars = 512;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly IBufferWriter<byte> _output;

    // The common output is our own sealed PooledBufferWriter: calling it directly (no interface dispatch, inlined
    // fast path) is what makes small writes cheap. Any other IBufferWriter goes through the interface.
    private readonly PooledBufferWriter? _pooled;

    /// <summary>Creates a writer over <paramref name="output"/>.</summary>
    public MessagePackWriter(IBufferWriter<byte> output)
    {
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _pooled = output as PooledBufferWriter;
    }

    /// <summary>Writes nil.</summary>
    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    /// <summary>Writes a boolean.</summary>
    public void Write(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    /// <summary>Writes a signed integer in its smallest form.</summary>
    public void Write(long value)
    {
        if (value >= 0)
        {
            Write((ulong)value);
            return;
        }

        if (value >= -32)
        {
            WriteByte(unchecked((byte)(sbyte)value));
        }
        else if (value >= sbyte.MinValue)
        {
            var span = GetSpan(2);
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)(sbyte)value);
            Advance(2);
        }
        else if (value >= short.MinValue)
        {
            var span = GetSpan(3);
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span.Slice(1), (short)value);
            Advance(3);
        }
        else if (value >= int.MinValue)
        {
            var span = GetSpan(5);
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span.Slice(1), (int)value);
            Advance(5);
        }
        else
        {
            var span = GetSpan(9);
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span.Slice(1), value);
            Advance(9);
        }
    }

    /// <summary>Writes an unsigned integer in its smallest form.</summary>
    public void Write(ulong value)
    {
        if (value <= MessagePackCode.MaxFixInt)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            var span = GetSpan(2);
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            Advance(2);
        }
        else if (value <= ushort.MaxValue)
        {
            var span = GetSpan(3);
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)value);
            Advance(3);
        }
        else if (value <= uint.MaxValue)
        {
            var span = GetSpan(5);
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)value);
            Advance(5);
        }
        else
        {
            var span = GetSpan(9);
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span.Slice(1), value);
            Advance(9);
        }
    }

    /// <summary>Writes an integer in its smallest form.</summary>
    public void Write(int value) => Write((long)value);

    /// <summary>Writes an integer in its smallest form.</summary>
    public void Write(uint value) => Write((ulong)value);

    /// <summary>Writes an integer in its smallest form.</summary>
    public void Write(short value) => Write((long)value);

    /// <summary>Writes an integer in its smallest form.</summary>
    public void Write(ushort value) => Write((ulong)value);

    /// <summary>Writes an integer in its smallest form.</summary>
    public void Write(sbyte value) => Write((long)value);

    /// <summary>Writes an integer in its smallest form.</summary>
    public void Write(byte value) => Write((ulong)value);

    /// <summary>Writes a float32.</summary>
    public void Write(float value)
    {
        var span = GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span.Slice(1), value);
        Advance(5);
    }

    /// <summary>Writes a float64.</summary>
    public void Write(double value)
    {
        var span = GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span.Slice(1), value);
        Advance(9);
    }

    /// <summary>Writes a string as UTF-8, or nil for <see langword="null"/>.</summary>
    public void Write(string? value)
    {
        if (value is null)
        {
            WriteNil();
            return;
        }

        Write(value.AsSpan());
    }

    /// <summary>Writes characters as a UTF-8 string.</summary>
    public void Write(scoped ReadOnlySpan<char> value)
    {
        if (value.Length <= OnePassMaxChars)
        {
            WriteShortString(value);
            return;
        }

        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException ex)
        {
            throw LoneSurrogate(ex);
        }

        WriteStringHeader(byteCount);
        var span = GetSpan(byteCount);
        int written = StrictUtf8.GetBytes(value, span);
        Advance(written);
    }

    private void WriteShortString(scoped ReadOnlySpan<char> value)
    {
        // Room for the worst case (3 bytes a char, and its header); the bytes go after the header that the best
        // case (all ASCII, one byte a char) needs. ASCII is the common case and is done by a vectorized copy with
        // no second look; otherwise the rest is encoded after the ASCII prefix and the bytes slide up when the real
        // length needs a longer header.
        int maxBytes = value.Length * 3;
        int header = StringHeaderSize(value.Length);
        var span = GetSpan(StringHeaderSize(maxBytes) + maxBytes);
        int byteCount;
        if (Ascii.FromUtf16(value, span.Slice(header), out int ascii) == OperationStatus.Done)
        {
            byteCount = ascii;
        }
        else
        {
            if (Utf8.FromUtf16(value.Slice(ascii), span.Slice(header + ascii), out _, out int rest, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                throw LoneSurrogate(null);
            }

            byteCount = ascii + rest;
            int needed = StringHeaderSize(byteCount);
            if (needed != header)
            {
                span.Slice(header, byteCount).CopyTo(span.Slice(needed));
                header = needed;
            }
        }

        switch (header)
        {
            case 1:
                span[0] = (byte)(MessagePackCode.MinFixStr | byteCount);
                break;
            case 2:
                span[0] = MessagePackCode.Str8;
                span[1] = (byte)byteCount;
                break;
            default:
                span[0] = MessagePackCode.Str16;
                BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)byteCount);
                break;
        }

        Advance(header + byteCount);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StringHeaderSize(int byteCount) => byteCount <= 31 ? 1 : byteCount <= byte.MaxValue ? 2 : byteCount <= ushort.MaxValue ? 3 : 5;

    private static MaculaSerializationException LoneSurrogate(Exception? inner) =>
        new("Cannot write a string that is not valid UTF-16 (lone surrogate).", -1, inner);

    /// <summary>Writes already-encoded UTF-8 bytes as a string.</summary>
    public void WriteString(scoped ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        WriteRaw(utf8);
    }

    /// <summary>Writes a str header for <paramref name="byteCount"/> UTF-8 bytes.</summary>
    public void WriteStringHeader(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        if (byteCount <= 31)
        {
            WriteByte((byte)(MessagePackCode.MinFixStr | byteCount));
        }
        else if (byteCount <= byte.MaxValue)
        {
            var span = GetSpan(2);
            span[0] = MessagePackCode.Str8;
            span[1] = (byte)byteCount;
            Advance(2);
        }
        else if (byteCount <= ushort.MaxValue)
        {
            WriteCodeAndUInt16(MessagePackCode.Str16, (ushort)byteCount);
        }
        else
        {
            WriteCodeAndUInt32(MessagePackCode.Str32, (uint)byteCount);
        }
    }

    /// <summary>Writes bytes as bin, or nil for <see langword="null"/>.</summary>
    public void Write(byte[]? value)
    {
        if (value is null)
        {
            WriteNil();
            return;
        }

        WriteBinary(value);
    }

    /// <summary>Writes bytes as bin.</summary>
    public void WriteBinary(scoped ReadOnlySpan<byte> value)
    {
        WriteBinaryHeader(value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes a bin header for <paramref name="length"/> bytes.</summary>
    public void WriteBinaryHeader(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length <= byte.MaxValue)
        {
            var span = GetSpan(2);
            span[0] = MessagePackCode.Bin8;
            span[1] = (byte)length;
            Advance(2);
        }
        else if (length <= ushort.MaxValue)
        {
            WriteCodeAndUInt16(MessagePackCode.Bin16, (ushort)length);
        }
        else
        {
            WriteCodeAndUInt32(MessagePackCode.Bin32, (uint)length);
        }
    }

    /// <summary>Writes an array header of <paramref name="count"/> elements.</summary>
    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(MessagePackCode.MinFixArray | count));
        }
        else if (count <= ushort.MaxValue)
        {
            WriteCodeAndUInt16(MessagePackCode.Array16, (ushort)count);
        }
        else
        {
            WriteCodeAndUInt32(MessagePackCode.Array32, (uint)count);
        }
    }

    /// <summary>Writes a map header of <paramref name="count"/> key/value pairs.</summary>
    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(MessagePackCode.MinFixMap | count));
        }
        else if (count <= ushort.MaxValue)
        {
            WriteCodeAndUInt16(MessagePackCode.Map16, (ushort)count);
        }
        else
        {
            WriteCodeAndUInt32(MessagePackCode.Map32, (uint)count);
        }
    }

    /// <summary>Writes an extension header: fixext when the length allows, else ext8/16/32.</summary>
    public void WriteExtensionHeader(sbyte typeCode, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte type = unchecked((byte)typeCode);
        switch (length)
        {
            case 1: WriteTwo(MessagePackCode.FixExt1, type); return;
            case 2: WriteTwo(MessagePackCode.FixExt2, type); return;
            case 4: WriteTwo(MessagePackCode.FixExt4, type); return;
            case 8: WriteTwo(MessagePackCode.FixExt8, type); return;
            case 16: WriteTwo(MessagePackCode.FixExt16, type); return;
        }

        if (length <= byte.MaxValue)
        {
            var span = GetSpan(3);
            span[0] = MessagePackCode.Ext8;
            span[1] = (byte)length;
            span[2] = type;
            Advance(3);
        }
        else if (length <= ushort.MaxValue)
        {
            var span = GetSpan(4);
            span[0] = MessagePackCode.Ext16;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)length);
            span[3] = type;
            Advance(4);
        }
        else
        {
            var span = GetSpan(6);
            span[0] = MessagePackCode.Ext32;
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)length);
            span[5] = type;
            Advance(6);
        }
    }

    /// <summary>Writes an extension value.</summary>
    public void WriteExtension(sbyte typeCode, scoped ReadOnlySpan<byte> data)
    {
        WriteExtensionHeader(typeCode, data.Length);
        WriteRaw(data);
    }

    /// <summary>
    /// Writes a point in time as the timestamp extension (type -1) in its smallest form: timestamp 32 when it has
    /// no fraction of a second and fits 32 bits, timestamp 64 when seconds fit 34 bits, else timestamp 96.
    /// </summary>
    public void Write(DateTime value)
    {
        if (value.Kind == DateTimeKind.Local)
        {
            value = value.ToUniversalTime();
        }

        long ticksSinceEpoch = value.Ticks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticksSinceEpoch, TimeSpan.TicksPerSecond, out long remainderTicks);
        if (remainderTicks < 0)
        {
            seconds--;
            remainderTicks += TimeSpan.TicksPerSecond;
        }

        WriteTimestamp(seconds, (uint)(remainderTicks * 100));
    }

    /// <summary>Writes a point in time as the timestamp extension (the offset is not kept: UTC on the wire).</summary>
    public void Write(DateTimeOffset value) => Write(value.UtcDateTime);

    /// <summary>Writes a timestamp extension from seconds since the Unix epoch and nanoseconds.</summary>
    public void WriteTimestamp(long seconds, uint nanoseconds)
    {
        if (nanoseconds > 999_999_999)
        {
            throw new ArgumentOutOfRangeException(nameof(nanoseconds), nanoseconds, "Nanoseconds must be below one second.");
        }

        if ((seconds >> 34) == 0)
        {
            ulong data64 = ((ulong)nanoseconds << 34) | (ulong)seconds;
            if ((data64 & 0xffffffff00000000UL) == 0)
            {
                var s4 = GetSpan(6);
                s4[0] = MessagePackCode.FixExt4;
                s4[1] = unchecked((byte)MessagePackCode.TimestampExtType);
                BinaryPrimitives.WriteUInt32BigEndian(s4.Slice(2), (uint)data64);
                Advance(6);
            }
            else
            {
                var s8 = GetSpan(10);
                s8[0] = MessagePackCode.FixExt8;
                s8[1] = unchecked((byte)MessagePackCode.TimestampExtType);
                BinaryPrimitives.WriteUInt64BigEndian(s8.Slice(2), data64);
                Advance(10);
            }

            return;
        }

        var span = GetSpan(15);
        span[0] = MessagePackCode.Ext8;
        span[1] = 12;
        span[2] = unchecked((byte)MessagePackCode.TimestampExtType);
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(3), nanoseconds);
        BinaryPrimitives.WriteInt64BigEndian(span.Slice(7), seconds);
        Advance(15);
    }

    /// <summary>Copies bytes that are already MessagePack.</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        var span = GetSpan(bytes.Length);
        bytes.CopyTo(span);
        Advance(bytes.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly Span<byte> GetSpan(int size) => _pooled is not null ? _pooled.GetSpan(size) : _output.GetSpan(size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Advance(int count)
    {
        if (_pooled is not null)
        {
            _pooled.Advance(count);
        }
        else
        {
            _output.Advance(count);
        }
    }

    private void WriteByte(byte value)
    {
        var span = GetSpan(1);
        span[0] = value;
        Advance(1);
    }

    private void WriteTwo(byte a, byte b)
    {
        var span = GetSpan(2);
        span[0] = a;
        span[1] = b;
        Advance(2);
    }

    private void WriteCodeAndUInt16(byte code, ushort value)
    {
        var span = GetSpan(3);
        span[0] = code;
        BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), value);
        Advance(3);
    }

    private void WriteCodeAndUInt32(byte code, uint value)
    {
        var span = GetSpan(5);
        span[0] = code;
        BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), value);
        Advance(5);
    }
}
