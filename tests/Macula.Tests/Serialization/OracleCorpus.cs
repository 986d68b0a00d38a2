using System.Text;

namespace Macula.Tests.Serialization;

/// <summary>
/// One value the C# side encodes for the oracle. <paramref name="ReadBack"/> is for values that mix float32 and
/// float64 (a DTO with a float and a double member): python's packer writes every float in one width, so its bytes
/// are checked by reading them back into the C# type and writing that again, which must give the C# bytes.
/// </summary>
internal sealed record CorpusItem(string Name, MsgNode Node, bool SingleFloats = false, Func<byte[], byte[]>? ReadBack = null);

/// <summary>
/// The C# corpus: edge values of every integer width through every writer overload, floats of both widths, strings
/// and bins at each length-class boundary, arrays and maps of each class, nesting, ext of each size, timestamps of
/// the three forms (negative seconds and nanoseconds included) and DateTime/DateTimeOffset values.
/// </summary>
internal static class OracleCorpus
{
    public static List<CorpusItem> Build()
    {
        var items = new List<CorpusItem>();
        AddIntegers(items);
        AddFloats(items);
        AddStrings(items);
        AddBinaries(items);
        AddContainers(items);
        AddExtensions(items);
        AddTimestamps(items);
        items.Add(new("nil", new NilNode()));
        items.Add(new("true", new BoolNode(true)));
        items.Add(new("false", new BoolNode(false)));
        return items;
    }

    private static readonly Int128[] IntegerEdges =
    [
        0, 1, -1, 5, -5, 31, -31, 32, -32, -33, 100, 127, 128, -127, -128, -129, 200, 255, 256, -255, -256,
        32767, 32768, -32767, -32768, -32769, 65535, 65536, -65536,
        int.MaxValue, (Int128)int.MaxValue + 1, int.MinValue, (Int128)int.MinValue - 1,
        uint.MaxValue, (Int128)uint.MaxValue + 1, -(Int128)uint.MaxValue,
        long.MaxValue, (Int128)long.MaxValue + 1, long.MinValue, long.MinValue + 1L, ulong.MaxValue, ulong.MaxValue - 1UL,
        (Int128)1 << 53, -((Int128)1 << 53),
    ];

    private static void AddIntegers(List<CorpusItem> items)
    {
        foreach (var via in Enum.GetValues<IntVia>())
        {
            var (min, max) = Range(via);
            foreach (var value in IntegerEdges)
            {
                if (value >= min && value <= max)
                {
                    items.Add(new($"int {value} via {via}", new IntNode(value, via)));
                }
            }
        }
    }

    private static (Int128 Min, Int128 Max) Range(IntVia via) => via switch
    {
        IntVia.SByte => (sbyte.MinValue, sbyte.MaxValue),
        IntVia.Byte => (byte.MinValue, byte.MaxValue),
        IntVia.Int16 => (short.MinValue, short.MaxValue),
        IntVia.UInt16 => (ushort.MinValue, ushort.MaxValue),
        IntVia.Int32 => (int.MinValue, int.MaxValue),
        IntVia.UInt32 => (uint.MinValue, uint.MaxValue),
        IntVia.Int64 => (long.MinValue, long.MaxValue),
        _ => (ulong.MinValue, ulong.MaxValue),
    };

    private static void AddFloats(List<CorpusItem> items)
    {
        double[] doubles =
        [
            0.0, -0.0, 1.5, -2.25, 0.1, 1e300, -1e-300, double.Epsilon, double.MaxValue, double.MinValue,
            double.PositiveInfinity, double.NegativeInfinity, double.NaN, Math.PI, 16777217.0, 1.0,
        ];
        foreach (var d in doubles)
        {
            items.Add(new($"float64 {d:R}", new Float64Node(d)));
        }

        float[] floats =
        [
            0f, -0f, 1.5f, -2.5f, 0.1f, float.Epsilon, float.MaxValue, float.MinValue,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, 16777216f, 1f,
        ];
        foreach (var f in floats)
        {
            items.Add(new($"float32 {f:R}", new Float32Node(f), SingleFloats: true));
        }

        items.Add(new("array of float32", new ArrayNode([.. floats.Select(f => (MsgNode)new Float32Node(f))]), SingleFloats: true));
        items.Add(new("array of float64", new ArrayNode([.. doubles.Select(d => (MsgNode)new Float64Node(d))])));
    }

    private static void AddStrings(List<CorpusItem> items)
    {
        string[] strings =
        [
            "", "a", new('a', 31), new('a', 32), new('a', 255), new('a', 256), new('a', 65535), new('a', 65536),
            "h\u00e9llo", "\u65e5\u672c\u8a9e", string.Concat(Enumerable.Repeat("\U0001F600", 8)),
            new string('\u20ac', 10) + "a", new('\u20ac', 11), new string('\u00e9', 15) + "a", new('\u00e9', 16),
            new string('\u00e9', 127) + "a", new('\u00e9', 128), new('\u20ac', 21845), new('\u00e9', 32768),
            "\0", "e\u0301", "\U0001F468\u200D\U0001F469\u200D\U0001F467", "tab\tnew\nline\"quote\\",
            string.Concat(Enumerable.Repeat("\U0001F600", 64)),
        ];
        var vias = Enum.GetValues<StrVia>();
        for (int i = 0; i < strings.Length; i++)
        {
            foreach (var via in vias)
            {
                items.Add(new($"str of {Encoding.UTF8.GetByteCount(strings[i])} bytes ({strings[i].Length} chars) via {via}", new StrNode(strings[i], via)));
            }
        }
    }

    private static void AddBinaries(List<CorpusItem> items)
    {
        foreach (int size in new[] { 0, 1, 31, 32, 255, 256, 65535, 65536 })
        {
            var bytes = new byte[size];
            for (int i = 0; i < size; i++)
            {
                bytes[i] = (byte)(i % 251);
            }

            items.Add(new($"bin of {size} bytes", new BinNode(bytes)));
        }
    }

    private static void AddContainers(List<CorpusItem> items)
    {
        foreach (int size in new[] { 0, 1, 15, 16, 255, 65535, 65536 })
        {
            var elements = new MsgNode[size];
            for (int i = 0; i < size; i++)
            {
                elements[i] = i % 3 == 0 ? new BoolNode(true) : new IntNode(i, IntVia.Int32);
            }

            items.Add(new($"array of {size}", new ArrayNode(elements)));
        }

        foreach (int size in new[] { 0, 1, 15, 16, 65535, 65536 })
        {
            var entries = new (MsgNode, MsgNode)[size];
            for (int i = 0; i < size; i++)
            {
                entries[i] = (new IntNode(i, IntVia.Int32), new IntNode(-i, IntVia.Int32));
            }

            items.Add(new($"map of {size}", new MapNode(entries)));
        }

        items.Add(new("map with keys of every kind", new MapNode(
        [
            (new StrNode("a", StrVia.String), new IntNode(1, IntVia.Int32)),
            (new StrNode("b", StrVia.String), new ArrayNode([new IntNode(1, IntVia.Int32), new IntNode(2, IntVia.Int32)])),
            (new StrNode("c", StrVia.String), new MapNode([(new StrNode("d", StrVia.String), new NilNode())])),
            (new IntNode(5, IntVia.Int32), new StrNode("five", StrVia.String)),
            (new IntNode(-1, IntVia.Int32), new BinNode([1])),
            (new BinNode([0x6b]), new Float64Node(1.5)),
            (new ArrayNode([new IntNode(1, IntVia.Int32), new StrNode("x", StrVia.String)]), new BoolNode(true)),
            (new NilNode(), new BoolNode(false)),
            (new BoolNode(true), new IntNode(0, IntVia.Int32)),
            (new Float64Node(2.5), new StrNode("f", StrVia.String)),
            (new TimestampNode(1, 2), new ExtNode(7, [1, 2, 3])),
        ])));

        MsgNode deep = new StrNode("leaf", StrVia.String);
        for (int i = 0; i < 60; i++)
        {
            deep = i % 2 == 1 ? new ArrayNode([deep]) : new MapNode([(new StrNode("k", StrVia.String), deep)]);
        }

        items.Add(new("60 levels of nesting", deep));
        items.Add(new("empty containers", new ArrayNode(
        [
            new ArrayNode([]), new MapNode([]), new ArrayNode([new ArrayNode([])]),
            new MapNode([(new StrNode("", StrVia.String), new MapNode([]))]), new StrNode("", StrVia.String), new BinNode([]),
        ])));
    }

    private static void AddExtensions(List<CorpusItem> items)
    {
        foreach (int size in new[] { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 65535, 65536 })
        {
            foreach (sbyte type in new sbyte[] { 0, 1, 127, -128, -2 })
            {
                var data = new byte[size];
                for (int i = 0; i < size; i++)
                {
                    data[i] = (byte)((i * 7) + type);
                }

                items.Add(new($"ext type {type} of {size} bytes", new ExtNode(type, data)));
            }
        }
    }

    private static void AddTimestamps(List<CorpusItem> items)
    {
        (long Seconds, uint Nanoseconds)[] stamps =
        [
            (0, 0), (1, 0), (uint.MaxValue, 0), ((long)uint.MaxValue + 1, 0), (0, 1), (1, 999_999_999),
            ((1L << 34) - 1, 999_999_999), ((1L << 34) - 1, 0), (1L << 34, 0), (-1, 0), (-1, 999_999_999),
            (-62135596800, 0), (253402300799, 999_999_900), (long.MaxValue, 999_999_999), (long.MinValue, 0),
            (1_700_000_000, 123_456_789),
        ];
        foreach (var (seconds, nanoseconds) in stamps)
        {
            items.Add(new($"timestamp {seconds}s {nanoseconds}ns", new TimestampNode(seconds, nanoseconds)));
        }

        DateTime[] dates =
        [
            DateTime.UnixEpoch, DateTime.MinValue, DateTime.MaxValue, DateTime.UnixEpoch.AddTicks(-1), DateTime.UnixEpoch.AddTicks(1),
            DateTime.UnixEpoch.AddSeconds(uint.MaxValue), DateTime.UnixEpoch.AddSeconds((double)uint.MaxValue + 1),
            DateTime.UnixEpoch.AddSeconds((1L << 34) - 1).AddTicks(9_999_999), DateTime.UnixEpoch.AddSeconds(1L << 34),
            new DateTime(1969, 7, 20, 20, 17, 40, DateTimeKind.Utc).AddTicks(1234567),
            new DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Unspecified).AddTicks(5),
            new DateTime(2025, 6, 1, 8, 30, 0, DateTimeKind.Local),
            new DateTime(1, 1, 1, 0, 0, 1, DateTimeKind.Utc).AddTicks(1),
        ];
        foreach (var date in dates)
        {
            items.Add(new($"DateTime {date:O} ({date.Kind})", new DateTimeNode(date)));
        }

        DateTimeOffset[] offsets =
        [
            new(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(5.5)),
            new DateTimeOffset(1950, 1, 1, 0, 0, 0, TimeSpan.FromHours(-8)).AddTicks(777),
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.UnixEpoch,
        ];
        foreach (var offset in offsets)
        {
            items.Add(new($"DateTimeOffset {offset:O}", new DateTimeOffsetNode(offset)));
        }
    }
}
