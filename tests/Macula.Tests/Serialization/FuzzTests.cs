using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Tests.Serialization;

/// <summary>
/// Random and mutated inputs against the generated formatters of rich DTOs (three versions of one map DTO, a keyed
/// array DTO, a DTO of the newer BCL types) and the generic reader: every input either decodes or raises
/// <see cref="MaculaSerializationException"/>.
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 0x5eed;
    private const int Inputs = 100_000;

    [Fact]
    public void Dtos_round_trip_between_older_same_and_newer_versions()
    {
        var random = new Random(Seed);
        for (int i = 0; i < 200; i++)
        {
            var dto = RichDtoFactory.Create(random);
            var versions = new (string Name, Func<byte[]> Write, Func<byte[], byte[]> ReadAndWrite)[]
            {
                ("v1", () => TestWire.Write(TestWire.Read(TestWire.Write(dto, RichFormatters.Newer), RichFormatters.Older), RichFormatters.Older), b => TestWire.Write(TestWire.Read(b, RichFormatters.Older), RichFormatters.Older)),
                ("v2", () => TestWire.Write(TestWire.Read(TestWire.Write(dto, RichFormatters.Newer), RichFormatters.Middle), RichFormatters.Middle), b => TestWire.Write(TestWire.Read(b, RichFormatters.Middle), RichFormatters.Middle)),
                ("v3", () => TestWire.Write(dto, RichFormatters.Newer), b => TestWire.Write(TestWire.Read(b, RichFormatters.Newer), RichFormatters.Newer)),
            };
            foreach (var writer in versions)
            {
                var written = Members(writer.Write());
                foreach (var reader in versions)
                {
                    // What both versions know survives, whatever the order of the map; what only one knows is skipped.
                    var read = Members(reader.ReadAndWrite(writer.Write()));
                    foreach (var (key, value) in read)
                    {
                        if (written.TryGetValue(key, out string? sent))
                        {
                            Assert.True(sent == value, $"{writer.Name} -> {reader.Name}: {key} was {sent}, read {value}");
                        }
                    }

                    Assert.Equal(dto.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), read["i:Id"][2..]);
                }
            }

            var newer = TestWire.Read(TestWire.Write(dto, RichFormatters.Newer), RichFormatters.Newer)!;
            Assert.Equal(dto.Groups?.Count, newer.Groups?.Count);
            Assert.Equal(dto.Child?.Next?.Label, newer.Child?.Next?.Label);
            Assert.Equal(dto.At, newer.At);
            Assert.Equal(dto.At.Offset, newer.At.Offset);
        }

        Assert.Null(TestWire.Read(new byte[] { 0xc0 }, RichFormatters.Middle));
    }

    /// <summary>A map DTO's members by key, each as the canonical text of its value.</summary>
    private static Dictionary<string, string> Members(byte[] bytes)
    {
        var reader = new MessagePackReader(bytes);
        var map = Assert.IsType<MapNode>(MsgNode.Read(ref reader));
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Entries)
        {
            members["i:" + ((StrNode)key).Value] = value.Repr();
        }

        return members;
    }

    [Fact]
    public void Random_and_mutated_inputs_decode_or_raise_a_serialization_error()
    {
        var random = new Random(Seed);
        var valid = new List<byte[]>();
        for (int i = 0; i < 300; i++)
        {
            var dto = RichDtoFactory.Create(random);
            valid.Add((i % 5) switch
            {
                0 => TestWire.Write(TestWire.Read(TestWire.Write(dto, RichFormatters.Newer), RichFormatters.Older), RichFormatters.Older),
                1 => TestWire.Write(TestWire.Read(TestWire.Write(dto, RichFormatters.Newer), RichFormatters.Middle), RichFormatters.Middle),
                2 => TestWire.Write(dto, RichFormatters.Newer),
                3 => TestWire.Write(RichDtoFactory.CreateKeyed(random), RichFormatters.Keyed),
                _ => TestWire.Write(RichDtoFactory.CreateModern(random), RichFormatters.Modern),
            });
        }

        int decoded = 0, refused = 0;
        var failures = new List<string>();
        var buffer = new List<byte>();
        for (int n = 0; n < Inputs; n++)
        {
            byte[] input;
            if (n % 10 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                input = Mutate(valid[random.Next(valid.Count)], random, buffer);
            }

            Feed(input, RichFormatters.Older, ref decoded, ref refused, failures);
            Feed(input, RichFormatters.Middle, ref decoded, ref refused, failures);
            Feed(input, RichFormatters.Newer, ref decoded, ref refused, failures);
            Feed(input, RichFormatters.Keyed, ref decoded, ref refused, failures);
            Feed(input, RichFormatters.Modern, ref decoded, ref refused, failures);
            Feed(input, NodeFormatter.Instance, ref decoded, ref refused, failures);
            if (failures.Count >= 10)
            {
                break;
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // The mutations must reach both outcomes often, or the fuzzer tests nothing.
        Assert.True(decoded > Inputs / 20, $"only {decoded} inputs decoded");
        Assert.True(refused > Inputs, $"only {refused} inputs refused");
    }

    private static void Feed<T>(byte[] input, IMessagePackFormatter<T> formatter, ref int decoded, ref int refused, List<string> failures)
    {
        try
        {
            TestWire.Read(input, formatter);
            decoded++;
        }
        catch (MaculaSerializationException ex)
        {
            if (ex.Offset < 0 || ex.Offset > input.Length)
            {
                failures.Add($"offset {ex.Offset} outside the input of {input.Length} bytes: {ex.Message}");
            }

            refused++;
        }
        catch (Exception ex)
        {
            failures.Add($"{formatter.GetType().Name} threw {ex.GetType().Name} ({ex.Message}) on {Convert.ToHexStringLower(input)}");
        }
    }

    private static byte[] Mutate(byte[] source, Random random, List<byte> buffer)
    {
        buffer.Clear();
        buffer.AddRange(source);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations && buffer.Count > 0; m++)
        {
            int at = random.Next(buffer.Count);
            switch (random.Next(6))
            {
                case 0: // bit flip
                    buffer[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // truncation
                    buffer.RemoveRange(at, buffer.Count - at);
                    break;
                case 2: // byte insert
                    buffer.Insert(at, (byte)random.Next(256));
                    break;
                case 3: // byte delete
                    buffer.RemoveAt(at);
                    break;
                case 4: // replace with an interesting format byte
                    buffer[at] = InterestingCodes[random.Next(InterestingCodes.Length)];
                    break;
                default: // length-field tampering
                    TamperLength(buffer, random);
                    break;
            }
        }

        return [.. buffer];
    }

    private static readonly byte[] InterestingCodes =
    [
        0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2,
        0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x9f, 0x80, 0x8f, 0xa0, 0xbf,
        0x7f, 0xe0, 0xff,
    ];

    /// <summary>Finds the headers that carry a length or a count and rewrites one of them.</summary>
    private static void TamperLength(List<byte> buffer, Random random)
    {
        var bytes = buffer.ToArray();
        var headers = new List<int>();
        try
        {
            var reader = new MessagePackReader(bytes);
            CollectHeaders(ref reader, headers, 0);
        }
        catch (Exception)
        {
            // Already broken by an earlier mutation (MessagePack-CSharp's Skip throws ArgumentOutOfRangeException on
            // a length past int's range, among others): tamper with whatever headers were found before the break.
        }

        if (headers.Count == 0)
        {
            return;
        }

        int at = headers[random.Next(headers.Count)];
        byte code = buffer[at];
        int width = code switch
        {
            0xc4 or 0xc7 or 0xd9 => 1,
            0xc5 or 0xc8 or 0xda or 0xdc or 0xde => 2,
            0xc6 or 0xc9 or 0xdb or 0xdd or 0xdf => 4,
            _ => 0,
        };
        if (width == 0)
        {
            // fixstr, fixarray, fixmap: the length is in the low bits.
            int mask = code >= 0xa0 ? 0x1f : 0x0f;
            buffer[at] = (byte)((code & ~mask) | random.Next(mask + 1));
            return;
        }

        ulong value = random.Next(4) switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => (ulong)random.Next(0, 64),
            _ => (ulong)random.NextInt64(),
        };
        for (int i = 0; i < width && at + 1 + i < buffer.Count; i++)
        {
            buffer[at + 1 + i] = (byte)(value >> (8 * (width - 1 - i)));
        }
    }

    private static void CollectHeaders(ref MessagePackReader reader, List<int> headers, int depth)
    {
        if (depth > 100)
        {
            throw new InvalidOperationException("too deep to tamper with");
        }

        int at = (int)reader.Consumed;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
                headers.Add(at);
                for (int n = reader.ReadArrayHeader(); n > 0; n--)
                {
                    CollectHeaders(ref reader, headers, depth + 1);
                }

                break;
            case MessagePackType.Map:
                headers.Add(at);
                for (int n = reader.ReadMapHeader() * 2; n > 0; n--)
                {
                    CollectHeaders(ref reader, headers, depth + 1);
                }

                break;
            case MessagePackType.String:
            case MessagePackType.Binary:
            case MessagePackType.Extension:
                headers.Add(at);
                reader.Skip();
                break;
            default:
                reader.Skip();
                break;
        }
    }
}
