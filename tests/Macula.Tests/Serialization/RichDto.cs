using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Serialization;

internal sealed class ChildDto
{
    public string? Label { get; set; }

    public double Weight { get; set; }

    public ChildDto? Next { get; set; }
}

/// <summary>A DTO with a member of every built-in kind; the newest of three versions (with <see cref="RichDtoV1"/> and <see cref="RichDtoV2"/>).</summary>
internal sealed class RichDto
{
    public const int MemberCount = 26;

    public int Id { get; set; }

    public long Big { get; set; }

    public uint Unsigned { get; set; }

    public short Small { get; set; }

    public byte Tiny { get; set; }

    public sbyte Signed { get; set; }

    public ushort Port { get; set; }

    public ulong Huge { get; set; }

    public bool Flag { get; set; }

    public double Ratio { get; set; }

    public float Scale { get; set; }

    public char Letter { get; set; }

    public string? Name { get; set; }

    public byte[]? Blob { get; set; }

    public Guid Key { get; set; }

    public DateTime When { get; set; }

    public DateTimeOffset At { get; set; }

    public TimeSpan Duration { get; set; }

    public decimal Money { get; set; }

    public int? Maybe { get; set; }

    public List<string?>? Tags { get; set; }

    public Dictionary<string, int>? Counts { get; set; }

    public int[]? Numbers { get; set; }

    public ChildDto? Child { get; set; }

    public List<ChildDto?>? Children { get; set; }

    public Dictionary<int, List<ChildDto?>?>? Groups { get; set; }
}

/// <summary>An older version of <see cref="RichDto"/>: its first 10 members.</summary>
internal sealed class RichDtoV1
{
    public int Id { get; set; }

    public long Big { get; set; }

    public uint Unsigned { get; set; }

    public short Small { get; set; }

    public byte Tiny { get; set; }

    public sbyte Signed { get; set; }

    public ushort Port { get; set; }

    public ulong Huge { get; set; }

    public bool Flag { get; set; }

    public double Ratio { get; set; }
}

/// <summary>A middle version of <see cref="RichDto"/>: its first 20 members, in another order (a map does not care).</summary>
internal sealed class RichDtoV2
{
    public int? Maybe { get; set; }

    public decimal Money { get; set; }

    public TimeSpan Duration { get; set; }

    public DateTimeOffset At { get; set; }

    public DateTime When { get; set; }

    public Guid Key { get; set; }

    public byte[]? Blob { get; set; }

    public string? Name { get; set; }

    public char Letter { get; set; }

    public float Scale { get; set; }

    public int Id { get; set; }

    public long Big { get; set; }

    public uint Unsigned { get; set; }

    public short Small { get; set; }

    public byte Tiny { get; set; }

    public sbyte Signed { get; set; }

    public ushort Port { get; set; }

    public ulong Huge { get; set; }

    public bool Flag { get; set; }

    public double Ratio { get; set; }
}

/// <summary>MessagePack-CSharp's contract layout: an array indexed by [Key] (13 is a gap, written as nil).</summary>
[MessagePackObject]
internal sealed class RichKeyedDto
{
    [Key(0)]
    public int Id { get; set; }

    [Key(1)]
    public string? Name { get; set; }

    [Key(2)]
    public List<ChildDto?>? Children { get; set; }

    [Key(3)]
    public Dictionary<string, int>? Counts { get; set; }

    [Key(4)]
    public DateTime When { get; set; }

    [Key(14)]
    public double Ratio { get; set; }

    [IgnoreMember]
    public string Ignored { get; set; } = "local only";
}

/// <summary>The types MessagePack-CSharp 2.5 formats (and Int128/UInt128, which Macula adds), as one DTO.</summary>
internal sealed class ModernDto
{
    public DateOnly Day { get; set; }

    public TimeOnly Time { get; set; }

    public Half Half { get; set; }

    public Int128 Wide { get; set; }

    public UInt128 WideUnsigned { get; set; }

    public System.Numerics.BigInteger Big { get; set; }

    public Uri? Link { get; set; }

    public Version? Release { get; set; }

    public (int Count, string? Label) Pair { get; set; }

    public HashSet<string>? Set { get; set; }

    public System.Collections.Immutable.ImmutableArray<int> Immutable { get; set; } = [];

    public ReadOnlyMemory<byte> Bytes { get; set; }

    public IReadOnlyDictionary<string, DateOnly>? Calendar { get; set; }
}

/// <summary>Makes the generator write formatters for every DTO above.</summary>
[MaculaService]
internal interface IRichProbe
{
    Task EchoAsync(RichDto rich, RichDtoV1 older, RichDtoV2 middle, RichKeyedDto keyed, ModernDto modern);
}

/// <summary>The generated formatters of the DTOs above.</summary>
internal static class RichFormatters
{
    public static IMessagePackFormatter<RichDto?> Newer => global::Macula.Generated.Macula.Tests.Serialization.RichDtoFormatter.Instance;

    public static IMessagePackFormatter<RichDtoV1?> Older => global::Macula.Generated.Macula.Tests.Serialization.RichDtoV1Formatter.Instance;

    public static IMessagePackFormatter<RichDtoV2?> Middle => global::Macula.Generated.Macula.Tests.Serialization.RichDtoV2Formatter.Instance;

    public static IMessagePackFormatter<RichKeyedDto?> Keyed => global::Macula.Generated.Macula.Tests.Serialization.RichKeyedDtoFormatter.Instance;

    public static IMessagePackFormatter<ModernDto?> Modern => global::Macula.Generated.Macula.Tests.Serialization.ModernDtoFormatter.Instance;

    public static IMessagePackFormatter<ChildDto?> Child => global::Macula.Generated.Macula.Tests.Serialization.ChildDtoFormatter.Instance;
}

/// <summary>Random but reproducible rich DTOs.</summary>
internal static class RichDtoFactory
{
    public static RichDto Create(Random random)
    {
        return new RichDto
        {
            Id = random.Next(4) switch { 0 => 0, 1 => int.MaxValue, 2 => int.MinValue, _ => random.Next(-100_000, 100_000) },
            Big = random.NextInt64(long.MinValue, long.MaxValue),
            Unsigned = (uint)random.NextInt64(0, uint.MaxValue + 1L),
            Small = (short)random.Next(short.MinValue, short.MaxValue + 1),
            Tiny = (byte)random.Next(256),
            Signed = (sbyte)random.Next(-128, 128),
            Port = (ushort)random.Next(65536),
            Huge = (ulong)random.NextInt64() * 2 + (ulong)random.Next(2),
            Flag = random.Next(2) == 1,
            Ratio = random.NextDouble() * random.Next(-1000, 1000),
            Scale = (float)random.NextDouble(),
            Letter = (char)random.Next(32, 0xd7ff),
            Name = random.Next(5) == 0 ? null : RandomString(random),
            Blob = random.Next(5) == 0 ? null : RandomBytes(random, random.Next(0, 300)),
            Key = new Guid(RandomBytes(random, 16)),
            When = new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc),
            At = new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.FromMinutes(random.Next(-14 * 60, (14 * 60) + 1))),
            Duration = TimeSpan.FromTicks(random.NextInt64(long.MinValue, long.MaxValue)),
            Money = new decimal(random.Next(), random.Next(), random.Next(), random.Next(2) == 1, (byte)random.Next(29)),
            Maybe = random.Next(2) == 0 ? null : random.Next(),
            Tags = random.Next(4) == 0 ? null : [.. Enumerable.Range(0, random.Next(0, 20)).Select(i => i % 5 == 4 ? null : RandomString(random))],
            Counts = random.Next(4) == 0 ? null : Enumerable.Range(0, random.Next(0, 20)).ToDictionary(i => "k" + i, i => random.Next()),
            Numbers = random.Next(4) == 0 ? null : [.. Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(int.MinValue, int.MaxValue))],
            Child = random.Next(3) == 0 ? null : CreateChild(random, 3),
            Children = random.Next(3) == 0 ? null : [.. Enumerable.Range(0, random.Next(0, 5)).Select(_ => random.Next(4) == 0 ? null : CreateChild(random, 2))],
            Groups = random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(0, 4)).ToDictionary(i => i * 7 - 3, _ => random.Next(4) == 0 ? null : new List<ChildDto?> { CreateChild(random, 1), null }),
        };
    }

    public static RichKeyedDto CreateKeyed(Random random) => new()
    {
        Id = random.Next(),
        Name = random.Next(5) == 0 ? null : RandomString(random),
        Children = random.Next(3) == 0 ? null : [.. Enumerable.Range(0, random.Next(0, 5)).Select(_ => random.Next(4) == 0 ? null : CreateChild(random, 2))],
        Counts = random.Next(4) == 0 ? null : Enumerable.Range(0, random.Next(0, 10)).ToDictionary(i => "k" + i, i => random.Next()),
        When = new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc),
        Ratio = random.NextDouble(),
    };

    public static ModernDto CreateModern(Random random) => new()
    {
        Day = DateOnly.FromDayNumber(random.Next(DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber + 1)),
        Time = new TimeOnly(random.NextInt64(TimeOnly.MinValue.Ticks, TimeOnly.MaxValue.Ticks + 1)),
        Half = (Half)(random.NextDouble() * 1000),
        Wide = ((Int128)random.NextInt64() << 64) | (Int128)(ulong)random.NextInt64(),
        WideUnsigned = ((UInt128)(ulong)random.NextInt64() << 64) | (ulong)random.NextInt64(),
        Big = new System.Numerics.BigInteger(RandomBytes(random, random.Next(1, 40))),
        Link = random.Next(3) == 0 ? null : new Uri("https://example.test/" + random.Next() + "?q=" + random.Next()),
        Release = random.Next(3) == 0 ? null : new Version(random.Next(10), random.Next(10), random.Next(10), random.Next(10)),
        Pair = (random.Next(), random.Next(3) == 0 ? null : RandomString(random)),
        Set = random.Next(3) == 0 ? null : [.. Enumerable.Range(0, random.Next(0, 10)).Select(i => "s" + i)],
        Immutable = [.. Enumerable.Range(0, random.Next(0, 10)).Select(_ => random.Next())],
        Bytes = RandomBytes(random, random.Next(0, 50)),
        Calendar = random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(0, 5)).ToDictionary(i => "d" + i, i => DateOnly.FromDayNumber(i * 1000)),
    };

    private static ChildDto CreateChild(Random random, int depth) => new()
    {
        Label = random.Next(4) == 0 ? null : RandomString(random),
        Weight = random.NextDouble(),
        Next = depth > 0 && random.Next(2) == 0 ? CreateChild(random, depth - 1) : null,
    };

    private static string RandomString(Random random)
    {
        const string alphabet = "abcXYZ019 _-\u00e9\u20ac\u65e5\U0001F600";
        int length = random.Next(4) == 0 ? random.Next(30, 300) : random.Next(0, 30);
        var chars = new List<char>(length);
        while (chars.Count < length)
        {
            int i = random.Next(alphabet.Length);
            if (char.IsHighSurrogate(alphabet[i]))
            {
                chars.Add(alphabet[i]);
                chars.Add(alphabet[i + 1]);
            }
            else if (!char.IsLowSurrogate(alphabet[i]))
            {
                chars.Add(alphabet[i]);
            }
        }

        return new string([.. chars]);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
