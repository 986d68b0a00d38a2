using Macula.Serialization;

namespace Macula.Tests.Serialization;

/// <summary>
/// Hostile or broken input: each case raises <see cref="MaculaSerializationException"/> naming what was expected,
/// what was found and the byte offset; never a runtime exception, never a hang, never a large allocation.
/// </summary>
public sealed class BadInputTests
{
    private delegate void ReadAction(ref MessagePackReader reader);

    private static MaculaSerializationException Fails(string hex, ReadAction read, int maxDepth = MessagePackReader.DefaultMaxDepth)
    {
        var bytes = Convert.FromHexString(hex);
        try
        {
            var reader = new MessagePackReader(bytes, maxDepth);
            read(ref reader);
        }
        catch (MaculaSerializationException ex)
        {
            Assert.Contains("Expected", ex.Message, StringComparison.Ordinal);
            Assert.Contains("found", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"(at byte offset {ex.Offset})", ex.Message, StringComparison.Ordinal);
            return ex;
        }

        Assert.Fail($"Reading {hex} did not fail.");
        return null!;
    }

    [Fact]
    public void Empty_input_is_truncated()
    {
        var ex = Fails("", (ref MessagePackReader r) => r.ReadInt32());
        Assert.Equal(0, ex.Offset);
        Assert.Contains("end of the input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_integer_names_its_format_and_offset()
    {
        var ex = Fails("9201cd01", (ref MessagePackReader r) =>
        {
            r.ReadArrayHeader();
            r.ReadInt32();
            r.ReadInt32();
        });
        Assert.Equal(2, ex.Offset);
        Assert.Contains("uint16", ex.Message, StringComparison.Ordinal);
        Assert.Contains("end of the input with 2 bytes left", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_value_inside_a_dto_fails_at_the_member()
    {
        var bytes = MessagePackSerializer.Serialize(new ChildDto { Label = "hello", Weight = 2.5 }, ChildDtoFormatter.Instance);
        var ex = Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize(bytes.AsSpan(0, bytes.Length - 3), ChildDtoFormatter.Instance));
        Assert.Equal(7, ex.Offset);
        Assert.Contains("float64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_ext_header_is_reported()
    {
        var ex = Fails("c705", (ref MessagePackReader r) => r.ReadExtensionHeader());
        Assert.Equal(0, ex.Offset);
        Assert.Contains("ext header", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_type_names_the_expected_and_the_found_format()
    {
        var ex = Fails("91a161", (ref MessagePackReader r) =>
        {
            r.ReadArrayHeader();
            r.ReadInt32();
        });
        Assert.Equal(1, ex.Offset);
        Assert.Contains("Expected an integer, found fixstr (0xa1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Never_used_byte_is_refused()
    {
        var ex = Fails("c1", (ref MessagePackReader r) => r.Skip());
        Assert.Contains("never-used byte 0xc1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dbffffffff616263", "str")]
    [InlineData("c6ffffffff616263", "bin")]
    [InlineData("c9ffffffff05616263", "ext")]
    [InlineData("ddffffffff010203", "array")]
    [InlineData("dfffffffff010203", "map")]
    [InlineData("da0100616263", "str")]
    [InlineData("c40461", "bin")]
    [InlineData("dc0005010203", "array")]
    [InlineData("de0002010203", "map")]
    public void Length_larger_than_the_bytes_left_is_refused_before_anything_is_allocated(string hex, string family)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Fails(hex, (ref MessagePackReader r) => r.Skip());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, ex.Offset);
        Assert.Contains($"Expected a{(family == "ext" || family == "array" ? "n" : "")} {family} of", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bytes left", ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated for a lying length");

        // Typed reads and collection formatters refuse the same input the same way.
        before = GC.GetAllocatedBytesForCurrentThread();
        var bytes = Convert.FromHexString(hex);
        Assert.Throws<MaculaSerializationException>(() => family switch
        {
            "str" => MessagePackSerializer.Deserialize(bytes, MessagePackFormatters.String),
            "bin" => MessagePackSerializer.Deserialize(bytes, MessagePackFormatters.ByteArray),
            "array" => MessagePackSerializer.Deserialize<List<long>?>(bytes, new ListFormatter<long>(MessagePackFormatters.Int64)),
            "map" => MessagePackSerializer.Deserialize<Dictionary<long, long>?>(bytes, new DictionaryFormatter<long, long>(MessagePackFormatters.Int64, MessagePackFormatters.Int64)),
            _ => (object?)MessagePackSerializer.Deserialize(bytes, MessagePackFormatters.DateTime),
        });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Fact]
    public void Nesting_deeper_than_the_default_limit_is_refused()
    {
        string ok = string.Concat(Enumerable.Repeat("91", 63)) + "90";
        var reader = new MessagePackReader(Convert.FromHexString(ok));
        reader.Skip();
        Assert.True(reader.End);

        var ex = Fails(string.Concat(Enumerable.Repeat("91", 64)) + "90", (ref MessagePackReader r) => r.Skip());
        Assert.Equal(64, ex.Offset);
        Assert.Contains("at most 64 levels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_limit_is_configurable_and_holds_for_formatters()
    {
        var chain = new ChildDto { Next = new ChildDto { Next = new ChildDto { Next = new ChildDto() } } };
        var bytes = MessagePackSerializer.Serialize(chain, ChildDtoFormatter.Instance);
        Assert.NotNull(MessagePackSerializer.Deserialize(bytes, ChildDtoFormatter.Instance, maxDepth: 4));
        var ex = Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize(bytes, ChildDtoFormatter.Instance, maxDepth: 3));
        Assert.Contains("at most 3 levels", ex.Message, StringComparison.Ordinal);
        Assert.Equal(33, ex.Offset);

        var nestedLists = Convert.FromHexString("9191919101");
        IMessagePackFormatter<List<List<List<List<int>?>?>?>?> formatter =
            new ListFormatter<List<List<List<int>?>?>?>(new ListFormatter<List<List<int>?>?>(new ListFormatter<List<int>?>(new ListFormatter<int>(MessagePackFormatters.Int32))));
        Assert.NotNull(MessagePackSerializer.Deserialize(nestedLists, formatter, maxDepth: 4));
        Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize(nestedLists, formatter, maxDepth: 2));
    }

    [Fact]
    public void Hostile_nesting_far_past_the_limit_does_not_overflow_the_stack()
    {
        var bytes = new byte[1_000_000];
        bytes.AsSpan().Fill(0x91);
        var ex = Fails(Convert.ToHexString(bytes), (ref MessagePackReader r) => r.Skip());
        Assert.Equal(64, ex.Offset);
    }

    [Fact]
    public void A_depth_limit_above_what_the_stack_holds_still_ends_in_a_serialization_error()
    {
        var bytes = new byte[2_000_000];
        bytes.AsSpan().Fill(0x91);
        var ex = Fails(Convert.ToHexString(bytes), (ref MessagePackReader r) => r.Skip(), maxDepth: int.MaxValue);
        Assert.Contains("thread's stack", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Offset > 64, $"stopped at {ex.Offset}");
    }

    [Theory]
    [InlineData("a2c328")]
    [InlineData("a180")]
    [InlineData("a2c0af")]
    [InlineData("a3eda080")]
    [InlineData("a2e282")]
    [InlineData("a4f5808080")]
    [InlineData("a1ff")]
    public void Invalid_utf8_in_a_str_is_refused(string hex)
    {
        var ex = Fails("91" + hex, (ref MessagePackReader r) =>
        {
            r.ReadArrayHeader();
            r.ReadString();
        });
        Assert.Equal(1, ex.Offset);
        Assert.Contains("found invalid UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cd012c", "Byte", "300")]
    [InlineData("cc80", "SByte", "128")]
    [InlineData("ff", "Byte", "-1")]
    [InlineData("d0ff", "UInt16", "-1")]
    [InlineData("cd8000", "Int16", "32768")]
    [InlineData("ce00010000", "UInt16", "65536")]
    [InlineData("ce80000000", "Int32", "2147483648")]
    [InlineData("d3ffffffff7fffffff", "Int32", "-2147483649")]
    [InlineData("cf0000000100000000", "UInt32", "4294967296")]
    [InlineData("cfffffffffffffffff", "Int64", "18446744073709551615")]
    [InlineData("cfffffffffffffffff", "Int32", "18446744073709551615")]
    [InlineData("d38000000000000000", "UInt64", "-9223372036854775808")]
    public void Integer_that_does_not_fit_the_target_type_is_refused(string hex, string type, string value)
    {
        var ex = Fails("c0" + hex, (ref MessagePackReader r) =>
        {
            r.ReadNil();
            switch (type)
            {
                case "Byte": r.ReadByte(); break;
                case "SByte": r.ReadSByte(); break;
                case "Int16": r.ReadInt16(); break;
                case "UInt16": r.ReadUInt16(); break;
                case "Int32": r.ReadInt32(); break;
                case "UInt32": r.ReadUInt32(); break;
                case "Int64": r.ReadInt64(); break;
                default: r.ReadUInt64(); break;
            }
        });
        Assert.Equal(1, ex.Offset);
        Assert.Contains($"Expected an integer that fits {type}, found {value}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamp_with_a_bad_length_or_type_or_nanoseconds_is_refused()
    {
        Assert.Contains("4, 8 or 12 bytes, found 2", Fails("d5ff0000", (ref MessagePackReader r) => r.ReadTimestamp()).Message, StringComparison.Ordinal);
        Assert.Contains("type -1), found ext type 5", Fails("d60500000000", (ref MessagePackReader r) => r.ReadDateTime()).Message, StringComparison.Ordinal);
        Assert.Contains("below 1e9, found 1000000000", Fails("c70cff3b9aca000000000000000000", (ref MessagePackReader r) => r.ReadTimestamp()).Message, StringComparison.Ordinal);
        Assert.Contains("DateTime's range", Fails("c70cff000000007fffffffffffffff", (ref MessagePackReader r) => r.ReadDateTime()).Message, StringComparison.Ordinal);
        Assert.Contains("found fixstr", Fails("a0", (ref MessagePackReader r) => r.ReadDateTime()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_after_the_value_are_refused()
    {
        var ex = Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize([0x01, 0x02], MessagePackFormatters.Int32));
        Assert.Equal(1, ex.Offset);
        Assert.Contains("end of the input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builtin_formatters_refuse_malformed_values()
    {
        Assert.Contains("bin of 16 bytes, found 2", Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize([0xc4, 2, 1, 2], MessagePackFormatters.Guid)).Message, StringComparison.Ordinal);
        Assert.Contains("not a number", Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize([0xa1, (byte)'x'], MessagePackFormatters.Decimal)).Message, StringComparison.Ordinal);
        IMessagePackFormatter<Dictionary<string, int>?> map = new DictionaryFormatter<string, int>(new KeyThatMayBeNil(), MessagePackFormatters.Int32);
        Assert.Contains("found the key 'a' twice", Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize(Convert.FromHexString("82a16101a16102"), map)).Message, StringComparison.Ordinal);
        Assert.Contains("map key, found nil", Assert.Throws<MaculaSerializationException>(() => MessagePackSerializer.Deserialize(Convert.FromHexString("81c001"), map)).Message, StringComparison.Ordinal);
    }

    /// <summary>A key formatter as a careless generator might emit it: it lets nil through as null.</summary>
    private sealed class KeyThatMayBeNil : IMessagePackFormatter<string>
    {
        public void Serialize(ref MessagePackWriter writer, string value) => writer.Write(value);

        public string Deserialize(ref MessagePackReader reader) => reader.ReadString()!;
    }
}
