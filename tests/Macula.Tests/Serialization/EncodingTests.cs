using System.Buffers;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Serialization;

/// <summary>
/// The bytes the spec prescribes for the smallest encoding of each value, worked out by hand from spec.md, and
/// every longer (still valid) encoding the reader must accept: MessagePack-CSharp's writer and reader, as Macula uses them.
/// </summary>
public sealed class EncodingTests
{
    private delegate void WriteAction(ref MessagePackWriter writer);

    private static string Encode(WriteAction write)
    {
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return Convert.ToHexStringLower(buffer.WrittenSpan);
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(long.MaxValue, "cf7fffffffffffffff")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483648L, "d280000000")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    public void Integers_take_the_smallest_form(long value, string hex)
    {
        Assert.Equal(hex, Encode((ref MessagePackWriter w) => w.Write(value)));
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            Assert.Equal(hex, Encode((ref MessagePackWriter w) => w.Write((int)value)));
        }

        if (value >= 0)
        {
            Assert.Equal(hex, Encode((ref MessagePackWriter w) => w.Write((ulong)value)));
        }
    }

    [Fact]
    public void UInt64_above_Int64_uses_uint64()
    {
        Assert.Equal("cfffffffffffffffff", Encode((ref MessagePackWriter w) => w.Write(ulong.MaxValue)));
    }

    [Fact]
    public void Scalars_and_headers_match_the_spec()
    {
        Assert.Equal("c0", Encode((ref MessagePackWriter w) => w.WriteNil()));
        Assert.Equal("c2c3", Encode((ref MessagePackWriter w) => { w.Write(false); w.Write(true); }));
        Assert.Equal("ca3fc00000", Encode((ref MessagePackWriter w) => w.Write(1.5f)));
        Assert.Equal("cb3ff8000000000000", Encode((ref MessagePackWriter w) => w.Write(1.5)));
        Assert.Equal("a0", Encode((ref MessagePackWriter w) => w.Write("")));
        Assert.Equal("c0", Encode((ref MessagePackWriter w) => w.Write((string?)null)));
        Assert.Equal("a3e282ac", Encode((ref MessagePackWriter w) => w.Write("\u20ac")));
        Assert.Equal("c400", Encode((ref MessagePackWriter w) => w.Write(Array.Empty<byte>())));
        Assert.Equal("c0", Encode((ref MessagePackWriter w) => w.Write((byte[]?)null)));
        Assert.Equal("90dc0010dd00010000", Encode((ref MessagePackWriter w) => { w.WriteArrayHeader(0); w.WriteArrayHeader(16); w.WriteArrayHeader(65536); }));
        Assert.Equal("8fde0010df00010000", Encode((ref MessagePackWriter w) => { w.WriteMapHeader(15); w.WriteMapHeader(16); w.WriteMapHeader(65536); }));
        Assert.Equal("d9ffda0100db00010000", Encode((ref MessagePackWriter w) => { w.WriteStringHeader(255); w.WriteStringHeader(256); w.WriteStringHeader(65536); }));
        Assert.Equal("c4ffc50100c600010000", Encode((ref MessagePackWriter w) => { w.WriteBinHeader(255); w.WriteBinHeader(256); w.WriteBinHeader(65536); }));
    }

    [Theory]
    [InlineData(0, "c70005")]
    [InlineData(1, "d405")]
    [InlineData(2, "d505")]
    [InlineData(3, "c70305")]
    [InlineData(4, "d605")]
    [InlineData(8, "d705")]
    [InlineData(16, "d805")]
    [InlineData(17, "c71105")]
    [InlineData(255, "c7ff05")]
    [InlineData(256, "c8010005")]
    [InlineData(65536, "c90001000005")]
    public void Extension_headers_use_fixext_when_the_length_allows(int length, string hex)
    {
        Assert.Equal(hex, Encode((ref MessagePackWriter w) => w.WriteExtensionFormatHeader(new ExtensionHeader(5, length))));
    }

    [Theory]
    [InlineData(0L, 0L, "d6ff00000000")]
    [InlineData(4294967295L, 0L, "d6ffffffffff")]
    [InlineData(4294967296L, 0L, "d7ff0000000100000000")]
    [InlineData(1L, 1L, "d7ff0000019000000001")]
    [InlineData(17179869183L, 9999999L, "d7ffee6b2673ffffffff")]
    [InlineData(17179869184L, 0L, "c70cff000000000000000400000000")]
    [InlineData(-1L, 0L, "c70cff00000000ffffffffffffffff")]
    [InlineData(-1L, 5000000L, "c70cff1dcd6500ffffffffffffffff")]
    public void Timestamps_take_the_32_64_or_96_bit_form(long seconds, long ticks, string hex)
    {
        var date = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(ticks);
        Assert.Equal(hex, Encode((ref MessagePackWriter w) => w.Write(date)));
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal(date, reader.ReadDateTime());
        Assert.True(reader.End);
    }

    [Fact]
    public void DateTime_before_the_epoch_keeps_positive_nanoseconds()
    {
        var date = DateTime.UnixEpoch.AddMilliseconds(-500);
        Assert.Equal("c70cff1dcd6500ffffffffffffffff", Encode((ref MessagePackWriter w) => w.Write(date)));
        Assert.Equal(date, TestWire.Read(Convert.FromHexString("c70cff1dcd6500ffffffffffffffff"), DateTimeFormatter.Instance));
    }

    [Fact]
    public void DateTimeOffset_keeps_its_offset_as_clock_time_and_minutes()
    {
        // MessagePack-CSharp's layout: [the clock time as a timestamp read as UTC, the offset in minutes].
        var local = new DateTimeOffset(2024, 1, 1, 5, 30, 0, TimeSpan.FromHours(5.5));
        byte[] bytes = TestWire.Write(local, DateTimeOffsetFormatter.Instance);
        Assert.Equal("92d6ff65924dd8cd014a", Convert.ToHexStringLower(bytes));
        var read = TestWire.Read(bytes, DateTimeOffsetFormatter.Instance);
        Assert.Equal(local, read);
        Assert.Equal(TimeSpan.FromHours(5.5), read.Offset);
    }

    [Theory]
    [InlineData("05")]
    [InlineData("cc05")]
    [InlineData("cd0005")]
    [InlineData("ce00000005")]
    [InlineData("cf0000000000000005")]
    [InlineData("d005")]
    [InlineData("d10005")]
    [InlineData("d200000005")]
    [InlineData("d30000000000000005")]
    public void Every_integer_form_of_5_reads_as_5_in_every_width(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(5, new MessagePackReader(bytes).ReadSByte());
        Assert.Equal(5, new MessagePackReader(bytes).ReadByte());
        Assert.Equal(5, new MessagePackReader(bytes).ReadInt16());
        Assert.Equal(5, new MessagePackReader(bytes).ReadUInt16());
        Assert.Equal(5, new MessagePackReader(bytes).ReadInt32());
        Assert.Equal(5u, new MessagePackReader(bytes).ReadUInt32());
        Assert.Equal(5L, new MessagePackReader(bytes).ReadInt64());
        Assert.Equal(5UL, new MessagePackReader(bytes).ReadUInt64());
        Assert.Equal(5.0, new MessagePackReader(bytes).ReadDouble());
        Assert.Equal(5.0f, new MessagePackReader(bytes).ReadSingle());
        var reader = new MessagePackReader(bytes);
        reader.Skip();
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("ff")]
    [InlineData("d0ff")]
    [InlineData("d1ffff")]
    [InlineData("d2ffffffff")]
    [InlineData("d3ffffffffffffffff")]
    public void Every_integer_form_of_minus_1_reads_as_minus_1(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(-1, new MessagePackReader(bytes).ReadSByte());
        Assert.Equal(-1, new MessagePackReader(bytes).ReadInt32());
        Assert.Equal(-1L, new MessagePackReader(bytes).ReadInt64());
    }

    [Theory]
    [InlineData("a26162")]
    [InlineData("d9026162")]
    [InlineData("da00026162")]
    [InlineData("db000000026162")]
    public void Every_str_form_reads(string hex)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal("ab", FormatterSupport.ReadString(ref reader));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("c4020102")]
    [InlineData("c500020102")]
    [InlineData("c6000000020102")]
    public void Every_bin_form_reads(string hex)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal([1, 2], System.Buffers.BuffersExtensions.ToArray(reader.ReadBytes()!.Value));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("920102")]
    [InlineData("dc00020102")]
    [InlineData("dd000000020102")]
    public void Every_array_form_reads(string hex)
    {
        Assert.Equal([1, 2], TestWire.Read(Convert.FromHexString(hex), new ArrayFormatter<int>())!);
    }

    [Theory]
    [InlineData("810102")]
    [InlineData("de00010102")]
    [InlineData("df000000010102")]
    public void Every_map_form_reads(string hex)
    {
        var map = TestWire.Read<Dictionary<int, int>?>(Convert.FromHexString(hex), new DictionaryFormatter<int, int>());
        Assert.Equal(new KeyValuePair<int, int>(1, 2), Assert.Single(map!));
    }

    [Theory]
    [InlineData("d40507")]
    [InlineData("c7010507")]
    [InlineData("c800010507")]
    [InlineData("c9000000010507")]
    public void Every_ext_form_reads(string hex)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        var header = reader.ReadExtensionFormatHeader();
        Assert.Equal((5, 1u), (header.TypeCode, header.Length));
        Assert.Equal([7], System.Buffers.BuffersExtensions.ToArray(reader.ReadRaw(1)));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("d6ff00000001")]
    [InlineData("d7ff0000000000000001")]
    [InlineData("c70cff000000000000000000000001")]
    [InlineData("c8000cff000000000000000000000001")]
    [InlineData("c90000000cff000000000000000000000001")]
    [InlineData("c704ff00000001")]
    public void Every_timestamp_form_of_one_second_reads(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(DateTime.UnixEpoch.AddSeconds(1), new MessagePackReader(bytes).ReadDateTime());
        Assert.Equal(DateTime.UnixEpoch.AddSeconds(1), TestWire.Read(bytes, DateTimeFormatter.Instance));
    }

    [Theory]
    [InlineData("ca3fc00000")]
    [InlineData("cb3ff8000000000000")]
    public void Both_float_widths_read_as_double_and_single(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(1.5, new MessagePackReader(bytes).ReadDouble());
        Assert.Equal(1.5f, new MessagePackReader(bytes).ReadSingle());
    }

    [Fact]
    public void Strings_of_every_length_class_round_trip_through_every_entry_point()
    {
        foreach (string value in new[] { "", "x", new string('\u20ac', 10), new string('\u20ac', 11), new string('a', 31), new string('a', 32), new string('\u00e9', 128), new string('z', 70000), "\U0001F600" })
        {
            var viaString = Encode((ref MessagePackWriter w) => w.Write(value));
            Assert.Equal(viaString, Encode((ref MessagePackWriter w) => w.WriteString(System.Text.Encoding.UTF8.GetBytes(value))));
            Assert.Equal(viaString, Encode((ref MessagePackWriter w) => FormatterSupport.WriteString(ref w, value)));
            Assert.Equal(value, TestWire.Read(Convert.FromHexString(viaString), StrictStringFormatter.Instance));
        }
    }

    [Fact]
    public void Any_buffer_writer_gets_the_same_bytes_as_the_pooled_one()
    {
        foreach (var item in OracleCorpus.Build())
        {
            var pooled = TestWire.Write(item.Node, NodeFormatter.Instance);

            var array = new ArrayBufferWriter<byte>(1);
            MaculaSerializer.Serialize(array, item.Node, NodeFormatter.Instance, TestWire.Options);
            Assert.True(pooled.AsSpan().SequenceEqual(array.WrittenSpan), item.Name);

            var tight = new TightBufferWriter();
            MaculaSerializer.Serialize(tight, item.Node, NodeFormatter.Instance, TestWire.Options);
            Assert.True(pooled.AsSpan().SequenceEqual(tight.Written), item.Name);
        }
    }

    /// <summary>Hands out spans of exactly the size asked for, so a writer that assumes more room would fail.</summary>
    private sealed class TightBufferWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _pending = [];

        public byte[] Written => [.. _written];

        public void Advance(int count)
        {
            Assert.InRange(count, 0, _pending.Length);
            _written.AddRange(_pending.AsSpan(0, count));
            _pending = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _pending = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => _pending = new byte[Math.Max(sizeHint, 1)];
    }

    [Fact]
    public void A_lone_surrogate_cannot_be_written()
    {
        // MessagePack-CSharp's own writer would send U+FFFD in its place; Macula's string writes refuse it.
        var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Write("a\ud800b", StrictStringFormatter.Instance));
        Assert.Contains("surrogate", ex.Message, StringComparison.Ordinal);
    }
}
