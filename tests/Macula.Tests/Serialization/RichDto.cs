using Macula.Serialization;

namespace Macula.Tests.Serialization;

internal sealed class ChildDto
{
    public string? Label { get; set; }

    public double Weight { get; set; }

    public ChildDto? Next { get; set; }
}

/// <summary>A DTO with a member of every built-in kind, in the order the formatter writes them.</summary>
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

/// <summary>
/// Hand-written in the shape the source generator emits: nil for a null reference, else an array of the members in
/// declaration order. <c>knownMembers</c> stands for the version of the type a peer was compiled against: it writes
/// only those members, skips any extra ones it reads, and leaves members the writer did not send at their defaults.
/// </summary>
internal sealed class ChildDtoFormatter : IMessagePackFormatter<ChildDto?>
{
    public static readonly ChildDtoFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, ChildDto? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(3);
        writer.Write(value.Label);
        writer.Write(value.Weight);
        Serialize(ref writer, value.Next);
    }

    public ChildDto? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadArrayHeader();
        var result = new ChildDto();
        if (count > 0)
        {
            result.Label = reader.ReadString();
        }

        if (count > 1)
        {
            result.Weight = reader.ReadDouble();
        }

        if (count > 2)
        {
            result.Next = Deserialize(ref reader);
        }

        for (int i = 3; i < count; i++)
        {
            reader.Skip();
        }

        reader.ExitNesting();
        return result;
    }
}

/// <inheritdoc cref="ChildDtoFormatter"/>
internal sealed class RichDtoFormatter(int knownMembers = RichDto.MemberCount) : IMessagePackFormatter<RichDto?>
{
    private static readonly IMessagePackFormatter<int?> MaybeFormatter = new NullableFormatter<int>(MessagePackFormatters.Int32);
    private static readonly ListFormatter<string?> TagsFormatter = new(MessagePackFormatters.String);
    private static readonly DictionaryFormatter<string, int> CountsFormatter = new(NonNullString.Instance, MessagePackFormatters.Int32);
    private static readonly ArrayFormatter<int> NumbersFormatter = new(MessagePackFormatters.Int32);
    private static readonly ListFormatter<ChildDto?> ChildrenFormatter = new(ChildDtoFormatter.Instance);
    private static readonly DictionaryFormatter<int, List<ChildDto?>?> GroupsFormatter = new(MessagePackFormatters.Int32, ChildrenFormatter);

    public int KnownMembers { get; } = knownMembers;

    public void Serialize(ref MessagePackWriter writer, RichDto? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(KnownMembers);
        for (int i = 0; i < KnownMembers; i++)
        {
            switch (i)
            {
                case 0: writer.Write(value.Id); break;
                case 1: writer.Write(value.Big); break;
                case 2: writer.Write(value.Unsigned); break;
                case 3: writer.Write(value.Small); break;
                case 4: writer.Write(value.Tiny); break;
                case 5: writer.Write(value.Signed); break;
                case 6: writer.Write(value.Port); break;
                case 7: writer.Write(value.Huge); break;
                case 8: writer.Write(value.Flag); break;
                case 9: writer.Write(value.Ratio); break;
                case 10: writer.Write(value.Scale); break;
                case 11: MessagePackFormatters.Char.Serialize(ref writer, value.Letter); break;
                case 12: writer.Write(value.Name); break;
                case 13: writer.Write(value.Blob); break;
                case 14: MessagePackFormatters.Guid.Serialize(ref writer, value.Key); break;
                case 15: writer.Write(value.When); break;
                case 16: writer.Write(value.At); break;
                case 17: MessagePackFormatters.TimeSpan.Serialize(ref writer, value.Duration); break;
                case 18: MessagePackFormatters.Decimal.Serialize(ref writer, value.Money); break;
                case 19: MaybeFormatter.Serialize(ref writer, value.Maybe); break;
                case 20: TagsFormatter.Serialize(ref writer, value.Tags); break;
                case 21: CountsFormatter.Serialize(ref writer, value.Counts); break;
                case 22: NumbersFormatter.Serialize(ref writer, value.Numbers); break;
                case 23: ChildDtoFormatter.Instance.Serialize(ref writer, value.Child); break;
                case 24: ChildrenFormatter.Serialize(ref writer, value.Children); break;
                case 25: GroupsFormatter.Serialize(ref writer, value.Groups); break;
            }
        }
    }

    public RichDto? Deserialize(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterNesting();
        int count = reader.ReadArrayHeader();
        var result = new RichDto();
        int known = Math.Min(count, KnownMembers);
        for (int i = 0; i < known; i++)
        {
            switch (i)
            {
                case 0: result.Id = reader.ReadInt32(); break;
                case 1: result.Big = reader.ReadInt64(); break;
                case 2: result.Unsigned = reader.ReadUInt32(); break;
                case 3: result.Small = reader.ReadInt16(); break;
                case 4: result.Tiny = reader.ReadByte(); break;
                case 5: result.Signed = reader.ReadSByte(); break;
                case 6: result.Port = reader.ReadUInt16(); break;
                case 7: result.Huge = reader.ReadUInt64(); break;
                case 8: result.Flag = reader.ReadBoolean(); break;
                case 9: result.Ratio = reader.ReadDouble(); break;
                case 10: result.Scale = reader.ReadSingle(); break;
                case 11: result.Letter = MessagePackFormatters.Char.Deserialize(ref reader); break;
                case 12: result.Name = reader.ReadString(); break;
                case 13: result.Blob = reader.ReadBytes(); break;
                case 14: result.Key = MessagePackFormatters.Guid.Deserialize(ref reader); break;
                case 15: result.When = reader.ReadDateTime(); break;
                case 16: result.At = MessagePackFormatters.DateTimeOffset.Deserialize(ref reader); break;
                case 17: result.Duration = MessagePackFormatters.TimeSpan.Deserialize(ref reader); break;
                case 18: result.Money = MessagePackFormatters.Decimal.Deserialize(ref reader); break;
                case 19: result.Maybe = MaybeFormatter.Deserialize(ref reader); break;
                case 20: result.Tags = TagsFormatter.Deserialize(ref reader); break;
                case 21: result.Counts = CountsFormatter.Deserialize(ref reader); break;
                case 22: result.Numbers = NumbersFormatter.Deserialize(ref reader); break;
                case 23: result.Child = ChildDtoFormatter.Instance.Deserialize(ref reader); break;
                case 24: result.Children = ChildrenFormatter.Deserialize(ref reader); break;
                case 25: result.Groups = GroupsFormatter.Deserialize(ref reader); break;
            }
        }

        for (int i = known; i < count; i++)
        {
            reader.Skip();
        }

        reader.ExitNesting();
        return result;
    }

    /// <summary>A dictionary key cannot be null; nil is refused here rather than by the dictionary.</summary>
    private sealed class NonNullString : IMessagePackFormatter<string>
    {
        public static readonly NonNullString Instance = new();

        public void Serialize(ref MessagePackWriter writer, string value) => writer.Write(value);

        public string Deserialize(ref MessagePackReader reader)
        {
            int offset = reader.Position;
            return reader.ReadString() ?? throw new MaculaSerializationException("Expected a str key, found nil", offset);
        }
    }
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
            At = new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero),
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
