using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Serialization;

/// <summary>A DTO that nests itself through an array slot: hostile input can nest it as deep as it likes.</summary>
[MessagePackObject]
internal sealed class Nest
{
    [Key(0)]
    public Nest? Inner { get; set; }
}

/// <summary>Makes the generator write the formatters these tests read with.</summary>
[MaculaService]
internal interface IBadInputProbe
{
    Task SendAsync(Nest nest, ChildDto child);
}

/// <summary>
/// Hostile or broken input, read the way the runtime reads every payload (MaculaSerializer over MessagePack-CSharp
/// under untrusted-data security): each case raises <see cref="MaculaSerializationException"/> naming the type, the
/// member where known and the byte offset; never another exception, never a hang, never a large allocation.
/// </summary>
public sealed class BadInputTests
{
    private static IMessagePackFormatter<Nest?> NestFormatter => global::Macula.Generated.Macula.Tests.Serialization.NestFormatter.Instance;

    private static MaculaSerializationException Fails<T>(string hex, IMessagePackFormatter<T> formatter, MessagePackSerializerOptions? options = null)
    {
        var bytes = Convert.FromHexString(hex);
        var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(bytes, formatter, options));
        Assert.Contains($"(at byte offset {ex.Offset})", ex.Message, StringComparison.Ordinal);
        Assert.InRange(ex.Offset, 0, bytes.Length);
        return ex;
    }

    [Fact]
    public void Empty_input_is_truncated()
    {
        var ex = Fails("", Int32Formatter.Instance);
        Assert.Equal(0, ex.Offset);
        Assert.Contains("Could not read System.Int32: the input ends in the middle of a value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_integer_in_a_list_is_reported_after_what_was_read()
    {
        var ex = Fails("9201cd01", new ListFormatter<int>());
        Assert.Equal(3, ex.Offset); // MessagePack-CSharp reports the offset after the code of the cut value
        Assert.Contains("ends in the middle of a value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_value_inside_a_dto_names_the_member()
    {
        var bytes = TestWire.Write(new ChildDto { Label = "hello", Weight = 2.5 }, RichFormatters.Child);
        // {"Label": "hello", "Weight": 2.5, "Next": nil}, cut in the middle of 2.5.
        var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(bytes.AsMemory(0, bytes.Length - 10), RichFormatters.Child));
        Assert.Contains("Macula.Tests.Serialization.ChildDto.Weight: the input ends in the middle of a value", ex.Message, StringComparison.Ordinal);
        Assert.InRange(ex.Offset, 1, bytes.Length - 10);
    }

    [Fact]
    public void Truncated_ext_header_is_reported()
    {
        var ex = Fails("c705", NodeFormatter.Instance);
        Assert.Contains("ends in the middle of a value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_type_names_the_code_found()
    {
        var ex = Fails("91a161", new ListFormatter<int>());
        Assert.Contains("fixstr", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Never_used_byte_is_refused()
    {
        Fails("c1", NodeFormatter.Instance);
        Fails("c1", StrictStringFormatter.Instance);
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
        var bytes = Convert.FromHexString(hex);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails(hex, NodeFormatter.Instance);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "a lying length allocated what it claimed");

        // Typed reads and collection formatters refuse the same input the same way.
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<MaculaSerializationException>(() => family switch
        {
            "str" => TestWire.Read(bytes, StrictStringFormatter.Instance),
            "bin" => TestWire.Read(bytes, ByteArrayFormatter.Instance),
            "array" => TestWire.Read<List<long>?>(bytes, new ListFormatter<long>()),
            "map" => TestWire.Read<Dictionary<long, long>?>(bytes, new DictionaryFormatter<long, long>()),
            _ => (object?)TestWire.Read(bytes, DateTimeFormatter.Instance),
        });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Fact]
    public void Nesting_deeper_than_the_default_limit_of_500_is_refused()
    {
        // [[[...[nil]...]]]: a Nest of depth n is n arrays of one element.
        string Nested(int depth) => string.Concat(Enumerable.Repeat("91", depth - 1)) + "91c0";
        Assert.NotNull(TestWire.Read(Convert.FromHexString(Nested(500)), NestFormatter));

        var ex = Fails(Nested(501), NestFormatter);
        Assert.Contains("Macula.Tests.Serialization.Nest", ex.Message, StringComparison.Ordinal);
        Assert.Contains("maximum depth allowed of 500", ex.Message, StringComparison.Ordinal);
        Assert.Equal(500, ex.Offset);
    }

    [Fact]
    public void Nesting_limit_is_configurable_and_holds_for_collections()
    {
        var chain = new ChildDto { Next = new ChildDto { Next = new ChildDto { Next = new ChildDto() } } };
        var bytes = TestWire.Write(chain, RichFormatters.Child);
        Assert.NotNull(TestWire.Read(bytes, RichFormatters.Child, TestWire.Depth(4)));
        var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(bytes, RichFormatters.Child, TestWire.Depth(3)));
        Assert.Contains("maximum depth allowed of 3", ex.Message, StringComparison.Ordinal);

        // MessagePack-CSharp's own collection formatters step the same depth; a user resolver brings the nested lists.
        var nestedLists = Convert.FromHexString("9191919101");
        var formatter = new ListFormatter<List<List<List<int>>>>();
        Assert.NotNull(TestWire.Read(nestedLists, formatter, MaculaSerializer.CreateOptions([NestedLists.Instance], 4)));
        Assert.Throws<MaculaSerializationException>(() => TestWire.Read(nestedLists, formatter, MaculaSerializer.CreateOptions([NestedLists.Instance], 2)));
    }

    [Fact]
    public void Hostile_nesting_far_past_the_limit_does_not_overflow_the_stack()
    {
        var bytes = new byte[1_000_000];
        bytes.AsSpan().Fill(0x91);
        var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(bytes, NestFormatter));
        Assert.Equal(500, ex.Offset);
    }

    [Fact]
    public void A_depth_limit_above_what_the_stack_holds_still_ends_in_a_serialization_error()
    {
        var bytes = new byte[2_000_000];
        bytes.AsSpan().Fill(0x91);
        var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(bytes, NestFormatter, TestWire.Depth(int.MaxValue)));
        Assert.Contains("stack", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Offset > 500, $"stopped at {ex.Offset}");
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
        // MessagePack-CSharp's own string reader would hand back U+FFFD; Macula's refuse what they cannot read back.
        var ex = Fails("91" + hex, new ListFormatter<string>());
        Assert.Contains("a str is not valid UTF-8", ex.Message, StringComparison.Ordinal);
        var child = Fails("81a54c6162656c" + hex, RichFormatters.Child);
        Assert.Contains("ChildDto.Label: a str is not valid UTF-8", child.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cd012c", "Byte")]
    [InlineData("cc80", "SByte")]
    [InlineData("ff", "Byte")]
    [InlineData("d0ff", "UInt16")]
    [InlineData("cd8000", "Int16")]
    [InlineData("ce00010000", "UInt16")]
    [InlineData("ce80000000", "Int32")]
    [InlineData("d3ffffffff7fffffff", "Int32")]
    [InlineData("cf0000000100000000", "UInt32")]
    [InlineData("cfffffffffffffffff", "Int64")]
    [InlineData("cfffffffffffffffff", "Int32")]
    [InlineData("d38000000000000000", "UInt64")]
    public void Integer_that_does_not_fit_the_target_type_is_refused(string hex, string type)
    {
        var ex = type switch
        {
            "Byte" => Fails(hex, ByteFormatter.Instance),
            "SByte" => Fails(hex, SByteFormatter.Instance),
            "Int16" => Fails(hex, Int16Formatter.Instance),
            "UInt16" => Fails(hex, UInt16Formatter.Instance),
            "Int32" => Fails(hex, Int32Formatter.Instance),
            "UInt32" => Fails(hex, UInt32Formatter.Instance),
            "Int64" => Fails(hex, Int64Formatter.Instance),
            _ => Fails(hex, UInt64Formatter.Instance),
        };
        Assert.Contains($"Could not read System.{type}: an integer does not fit the type of its member", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamp_with_a_bad_length_or_type_is_refused()
    {
        Fails("d5ff0000", DateTimeFormatter.Instance);
        Fails("d60500000000", DateTimeFormatter.Instance);
        Fails("a0", DateTimeFormatter.Instance);
        Assert.Contains("System.DateTime", Fails("c70cff000000007fffffffffffffff", DateTimeFormatter.Instance).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_after_the_value_are_refused()
    {
        var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(new byte[] { 0x01, 0x02 }, Int32Formatter.Instance));
        Assert.Equal(1, ex.Offset);
        Assert.Contains("Expected the end of the input after one System.Int32, found 1 more bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builtin_formatters_refuse_malformed_values()
    {
        Assert.Throws<MaculaSerializationException>(() => TestWire.Read(new byte[] { 0xc4, 2, 1, 2 }, GuidFormatter.Instance));
        Assert.Throws<MaculaSerializationException>(() => TestWire.Read(new byte[] { 0xa1, (byte)'x' }, DecimalFormatter.Instance));
        Assert.Throws<MaculaSerializationException>(() => TestWire.Read(new byte[] { 0xc4, 2, 1, 2 }, Int128Formatter.Instance));
        var map = new DictionaryFormatter<string, int>();
        Assert.Throws<MaculaSerializationException>(() => TestWire.Read(Convert.FromHexString("82a16101a16102"), map));
        Assert.Throws<MaculaSerializationException>(() => TestWire.Read(Convert.FromHexString("81c001"), map));
    }

    [Fact]
    public void A_map_that_names_a_member_twice_is_refused()
    {
        // {"Label": "a", "Label": "b"}: a reader that kept either would silently drop the other.
        var ex = Fails("82a54c6162656ca161a54c6162656ca162", RichFormatters.Child);
        Assert.Contains("has the member 'Label' twice", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>A user resolver: the formatters of lists of lists, which no service here declares.</summary>
internal sealed class NestedLists : IFormatterResolver
{
    public static readonly NestedLists Instance = new();

    public IMessagePackFormatter<T>? GetFormatter<T>() =>
        typeof(T) == typeof(List<List<int>>) ? (IMessagePackFormatter<T>)(object)new ListFormatter<List<int>>()
        : typeof(T) == typeof(List<List<List<int>>>) ? (IMessagePackFormatter<T>)(object)new ListFormatter<List<List<int>>>()
        : null;
}
