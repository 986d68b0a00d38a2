using System.Globalization;
using System.Numerics;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Serialization;

/// <summary>Encodes the whole C# corpus, runs python3-msgpack once over it, and keeps both sides' results.</summary>
public sealed class PythonOracleFixture
{
    public PythonOracleFixture()
    {
        Items = OracleCorpus.Build();
        var random = new Random(20240611);
        for (int i = 0; i < 20; i++)
        {
            var dto = i == 0 ? null : RichDtoFactory.Create(random);
            AddDto(Items, $"rich DTO #{i}", dto, RichFormatters.Newer);
            if (dto is not null && i % 4 == 1)
            {
                // The older and middle versions, as a peer compiled against them writes the same value.
                AddDto(Items, $"rich DTO v1 #{i}", TestWire.Read(TestWire.Write(dto, RichFormatters.Newer), RichFormatters.Older), RichFormatters.Older);
                AddDto(Items, $"rich DTO v2 #{i}", TestWire.Read(TestWire.Write(dto, RichFormatters.Newer), RichFormatters.Middle), RichFormatters.Middle);
            }

            AddDto(Items, $"keyed DTO #{i}", i == 0 ? null : RichDtoFactory.CreateKeyed(random), RichFormatters.Keyed);
            AddDto(Items, $"modern DTO #{i}", i == 0 ? null : RichDtoFactory.CreateModern(random), RichFormatters.Modern);
        }

        Encoded = [.. Items.Select(item => TestWire.Write(item.Node, NodeFormatter.Instance))];
        (Answers, PythonCorpus) = PythonMsgpack.Run([.. Items.Select((item, i) => (item.SingleFloats, Encoded[i]))]);
    }

    /// <summary>A DTO as its generated formatter writes it, with what python must read in it.</summary>
    private static void AddDto<T>(List<CorpusItem> items, string name, T value, IMessagePackFormatter<T> formatter)
    {
        var bytes = TestWire.Write(value, formatter);
        var reader = new MessagePackReader(bytes);
        items.Add(new(name, new RawNode(bytes, MsgNode.Read(ref reader).Repr()), ReadBack: python => TestWire.Write(TestWire.Read(python, formatter), formatter)));
    }

    internal List<CorpusItem> Items { get; }

    internal List<byte[]> Encoded { get; }

    internal List<OracleAnswer> Answers { get; }

    internal List<(string Repr, byte[] Bytes)> PythonCorpus { get; }
}

/// <summary>The codec against Debian's python3-msgpack, byte for byte and value for value, in both directions.</summary>
public sealed class PythonInteropTests(PythonOracleFixture oracle) : IClassFixture<PythonOracleFixture>
{
    [Fact]
    public void Python_decodes_every_csharp_encoding_to_the_intended_value()
    {
        var failures = new List<string>();
        for (int i = 0; i < oracle.Items.Count; i++)
        {
            var answer = oracle.Answers[i];
            string expected = oracle.Items[i].Node.Repr();
            if (answer.Error is not null)
            {
                failures.Add($"{oracle.Items[i].Name}: python refused {Head(oracle.Encoded[i])}: {answer.Error}");
            }
            else if (answer.Repr != expected)
            {
                failures.Add($"{oracle.Items[i].Name}: python read {Cut(answer.Repr)}, expected {Cut(expected)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(30)));
        Assert.True(oracle.Items.Count > 400, $"the corpus shrank to {oracle.Items.Count} values");
    }

    [Fact]
    public void Python_reencodes_every_csharp_encoding_to_the_same_bytes()
    {
        var failures = new List<string>();
        for (int i = 0; i < oracle.Items.Count; i++)
        {
            var answer = oracle.Answers[i];
            var python = answer.Bytes is not null && oracle.Items[i].ReadBack is { } readBack ? readBack(answer.Bytes) : answer.Bytes;
            if (python is null || !python.AsSpan().SequenceEqual(oracle.Encoded[i]))
            {
                failures.Add($"{oracle.Items[i].Name}: C# wrote {Head(oracle.Encoded[i])}, python wrote {(answer.Bytes is null ? answer.Error : Head(answer.Bytes))}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(30)));
    }

    [Fact]
    public void Csharp_decodes_every_python_encoding_to_the_same_value_and_reencodes_it_to_the_same_bytes()
    {
        var failures = new List<string>();
        foreach (var (repr, bytes) in oracle.PythonCorpus)
        {
            MsgNode node;
            try
            {
                node = TestWire.Read(bytes, NodeFormatter.Instance);
            }
            catch (MaculaSerializationException ex)
            {
                failures.Add($"C# refused python's {Head(bytes)} ({Cut(repr)}): {ex.Message}");
                continue;
            }

            if (node.Repr() != repr)
            {
                failures.Add($"C# read python's {Head(bytes)} as {Cut(node.Repr())}, python meant {Cut(repr)}");
            }

            var again = TestWire.Write(node, NodeFormatter.Instance);
            if (!again.AsSpan().SequenceEqual(bytes))
            {
                failures.Add($"C# re-encoded python's {Head(bytes)} ({Cut(repr)}) as {Head(again)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(30)));
        Assert.True(oracle.PythonCorpus.Count > 150, $"python's corpus shrank to {oracle.PythonCorpus.Count} values");
    }

    [Fact]
    public void Every_format_family_is_in_both_corpora()
    {
        var csharp = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var bytes in oracle.Encoded)
        {
            CollectFormats(bytes, csharp);
        }

        var python = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, bytes) in oracle.PythonCorpus)
        {
            CollectFormats(bytes, python);
        }

        string[] all =
        [
            "positive fixint", "negative fixint", "nil", "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
            "int32", "int64", "float32", "float64", "fixstr", "str8", "str16", "str32", "bin8", "bin16", "bin32",
            "fixarray", "array16", "array32", "fixmap", "map16", "map32", "fixext1", "fixext2", "fixext4", "fixext8",
            "fixext16", "ext8", "ext16", "ext32", "timestamp32", "timestamp64", "timestamp96",
        ];
        Assert.Empty(all.Except(csharp));
        Assert.Empty(all.Except(python));
    }

    [Fact]
    public void Python_integers_read_through_every_typed_reader_or_overflow_with_a_serialization_error()
    {
        int checkedCount = 0;
        foreach (var (repr, bytes) in oracle.PythonCorpus)
        {
            if (!repr.StartsWith("i:", StringComparison.Ordinal))
            {
                continue;
            }

            var value = Int128.Parse(repr.AsSpan(2), CultureInfo.InvariantCulture);
            Check(bytes, value, sbyte.MinValue, sbyte.MaxValue, SByteFormatter.Instance);
            Check(bytes, value, byte.MinValue, byte.MaxValue, ByteFormatter.Instance);
            Check(bytes, value, short.MinValue, short.MaxValue, Int16Formatter.Instance);
            Check(bytes, value, ushort.MinValue, ushort.MaxValue, UInt16Formatter.Instance);
            Check(bytes, value, int.MinValue, int.MaxValue, Int32Formatter.Instance);
            Check(bytes, value, uint.MinValue, uint.MaxValue, UInt32Formatter.Instance);
            Check(bytes, value, long.MinValue, long.MaxValue, Int64Formatter.Instance);
            Check(bytes, value, ulong.MinValue, ulong.MaxValue, UInt64Formatter.Instance);

            var doubleReader = new MessagePackReader(bytes);
            Assert.Equal((double)value, doubleReader.ReadDouble());
            checkedCount++;
        }

        Assert.True(checkedCount > 30, $"only {checkedCount} integers in python's corpus");
    }

    [Fact]
    public void Python_timestamps_read_as_DateTime_when_in_range()
    {
        int inRange = 0, outOfRange = 0;
        foreach (var (repr, bytes) in oracle.PythonCorpus)
        {
            if (!repr.StartsWith("t:", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = repr.Split(':');
            long seconds = long.Parse(parts[1], CultureInfo.InvariantCulture);
            long nanoseconds = long.Parse(parts[2], CultureInfo.InvariantCulture);
            if (seconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                var expected = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100);
                var reader = new MessagePackReader(bytes);
                var date = reader.ReadDateTime();
                Assert.Equal(expected.UtcDateTime, date);
                Assert.Equal(DateTimeKind.Utc, date.Kind);
                Assert.Equal(expected.UtcDateTime, TestWire.Read(bytes, DateTimeFormatter.Instance));
                inRange++;
            }
            else
            {
                var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(bytes, DateTimeFormatter.Instance));
                Assert.Contains("System.DateTime", ex.Message, StringComparison.Ordinal);
                outOfRange++;
            }
        }

        Assert.True(inRange >= 10 && outOfRange >= 2, $"{inRange} in range, {outOfRange} out of range");
    }

    /// <summary>
    /// A value in range reads exactly; one out of range is a MaculaSerializationException that names the type and
    /// says the integer does not fit (MessagePack-CSharp's reader does not name the value, so neither can this).
    /// </summary>
    private static void Check<T>(byte[] bytes, Int128 value, Int128 min, Int128 max, IMessagePackFormatter<T> formatter)
        where T : IBinaryInteger<T>
    {
        if (value >= min && value <= max)
        {
            Assert.Equal(T.CreateChecked(value), TestWire.Read(bytes, formatter));
        }
        else
        {
            var ex = Assert.Throws<MaculaSerializationException>(() => TestWire.Read(bytes, formatter));
            Assert.Contains(typeof(T).FullName!, ex.Message, StringComparison.Ordinal);
            Assert.Contains("does not fit", ex.Message, StringComparison.Ordinal);
            Assert.InRange(ex.Offset, 0, bytes.Length);
        }
    }

    private static void CollectFormats(byte[] bytes, ISet<string> seen)
    {
        var reader = new MessagePackReader(bytes);
        while (!reader.End)
        {
            CollectValue(ref reader, seen);
        }
    }

    private static void CollectValue(ref MessagePackReader reader, ISet<string> seen)
    {
        byte code = reader.NextCode;
        string family = code switch
        {
            <= 0x7f => "positive fixint",
            <= 0x8f => "fixmap",
            <= 0x9f => "fixarray",
            <= 0xbf => "fixstr",
            0xc0 => "nil",
            0xc2 or 0xc3 => "bool",
            0xc4 => "bin8",
            0xc5 => "bin16",
            0xc6 => "bin32",
            0xc7 => "ext8",
            0xc8 => "ext16",
            0xc9 => "ext32",
            0xca => "float32",
            0xcb => "float64",
            0xcc => "uint8",
            0xcd => "uint16",
            0xce => "uint32",
            0xcf => "uint64",
            0xd0 => "int8",
            0xd1 => "int16",
            0xd2 => "int32",
            0xd3 => "int64",
            0xd4 => "fixext1",
            0xd5 => "fixext2",
            0xd6 => "fixext4",
            0xd7 => "fixext8",
            0xd8 => "fixext16",
            0xd9 => "str8",
            0xda => "str16",
            0xdb => "str32",
            0xdc => "array16",
            0xdd => "array32",
            0xde => "map16",
            0xdf => "map32",
            >= 0xe0 => "negative fixint",
            _ => "invalid",
        };
        seen.Add(family);
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
                for (int n = reader.ReadArrayHeader(); n > 0; n--)
                {
                    CollectValue(ref reader, seen);
                }

                break;
            case MessagePackType.Map:
                for (int n = reader.ReadMapHeader() * 2; n > 0; n--)
                {
                    CollectValue(ref reader, seen);
                }

                break;
            case MessagePackType.Extension:
                var header = reader.CreatePeekReader().ReadExtensionFormatHeader();
                if (header.TypeCode == -1)
                {
                    seen.Add(header.Length switch { 4 => "timestamp32", 8 => "timestamp64", 12 => "timestamp96", _ => "bad timestamp" });
                }

                reader.Skip();
                break;
            default:
                reader.Skip();
                break;
        }
    }

    private static string Head(byte[] bytes) =>
        bytes.Length <= 24 ? Convert.ToHexStringLower(bytes) : Convert.ToHexStringLower(bytes.AsSpan(0, 24)) + $"... ({bytes.Length} bytes)";

    private static string Cut(string? text) => text is null ? "(null)" : text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 120), "...");
}
