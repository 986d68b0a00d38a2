using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Macula.Benchmarks.Codec;

/// <summary>
/// <c>codec-ab</c>: the codec comparisons of <see cref="CodecBenchmarks"/>, measured interleaved on a shared machine.
/// Each round times every contender for the same short slice (after a warm-up), one after another; the report is
/// each contender's median ns/op and the median of the per-round ratios, so load that comes and goes during the run
/// weighs on both sides of a ratio alike (BenchmarkDotNet runs one benchmark after the other, minutes apart).
/// </summary>
internal static class CodecInterleaved
{
    private const int Rounds = 41;
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(40);

    public static int Run(string[] args)
    {
        var macula = MaculaSerializer.DefaultOptions;
        var attribute = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);
        var contractless = ContractlessStandardResolver.Options.WithSecurity(MessagePackSecurity.UntrustedData);
        var buffer = new PooledBufferWriter(8192);
        var json = new ArrayBufferWriter<byte>(8192);
        using var jsonWriter = new Utf8JsonWriter(json);

        var small = CodecSamples.Small();
        var order = CodecSamples.Order();
        var smallKeyed = CodecSamples.SmallKeyed();
        var orderKeyed = CodecSamples.OrderKeyed();
        byte[] smallJson = JsonSerializer.SerializeToUtf8Bytes(small, CodecJsonContext.Default.SmallDto);
        byte[] orderJson = JsonSerializer.SerializeToUtf8Bytes(order, CodecJsonContext.Default.Order);

        var groups = new (string Name, (string Name, Func<int> Op)[] Contenders)[]
        {
            ("Small serialize", [
                ("STJ source-gen", () => Json(json, jsonWriter, w => JsonSerializer.Serialize(w, small, CodecJsonContext.Default.SmallDto))),
                ("Macula map", Writer(buffer, small, macula)),
                ("MsgPack contractless map", Writer(buffer, small, contractless)),
                ("Macula [Key]", Writer(buffer, smallKeyed, macula)),
                ("MsgPack attribute [Key]", Writer(buffer, smallKeyed, attribute)),
            ]),
            ("Small deserialize", [
                ("STJ source-gen", () => JsonSerializer.Deserialize(smallJson, CodecJsonContext.Default.SmallDto)!.Id),
                ("Macula map", Reader(small, macula, s => s.Id)),
                ("MsgPack contractless map", Reader(small, contractless, s => s.Id)),
                ("Macula [Key]", Reader(smallKeyed, macula, s => s.Id)),
                ("MsgPack attribute [Key]", Reader(smallKeyed, attribute, s => s.Id)),
            ]),
            ("Order serialize", [
                ("STJ source-gen", () => Json(json, jsonWriter, w => JsonSerializer.Serialize(w, order, CodecJsonContext.Default.Order))),
                ("Macula map", Writer(buffer, order, macula)),
                ("MsgPack contractless map", Writer(buffer, order, contractless)),
                ("Macula [Key]", Writer(buffer, orderKeyed, macula)),
                ("MsgPack attribute [Key]", Writer(buffer, orderKeyed, attribute)),
            ]),
            ("Order deserialize", [
                ("STJ source-gen", () => JsonSerializer.Deserialize(orderJson, CodecJsonContext.Default.Order)!.Items.Count),
                ("Macula map", Reader(order, macula, o => o.Items.Count)),
                ("MsgPack contractless map", Reader(order, contractless, o => o.Items.Count)),
                ("Macula [Key]", Reader(orderKeyed, macula, o => o.Items.Count)),
                ("MsgPack attribute [Key]", Reader(orderKeyed, attribute, o => o.Items.Count)),
            ]),
        };

        Console.WriteLine($"{Rounds} interleaved rounds of {Slice.TotalMilliseconds:0} ms per contender, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        foreach (var (name, contenders) in groups)
        {
            var perRound = new double[contenders.Length][];
            for (int c = 0; c < contenders.Length; c++)
            {
                perRound[c] = new double[Rounds];
                Time(contenders[c].Op, TimeSpan.FromMilliseconds(200));
            }

            for (int round = 0; round < Rounds; round++)
            {
                for (int c = 0; c < contenders.Length; c++)
                {
                    perRound[c][round] = Time(contenders[c].Op, Slice);
                }
            }

            Console.WriteLine();
            Console.WriteLine($"| {name} | median ns/op | vs STJ (median of round ratios) | vs the MessagePack-CSharp resolver of the same layout |");
            Console.WriteLine("|---|---:|---:|---:|");
            for (int c = 0; c < contenders.Length; c++)
            {
                string vsStj = c == 0 ? "1.00x" : Ratio(perRound[0], perRound[c]);
                string vsMessagePack = c is 1 or 3 ? Ratio(perRound[c + 1], perRound[c]) : "";
                Console.WriteLine($"| {contenders[c].Name} | {Median(perRound[c]).ToString("0.0", CultureInfo.InvariantCulture)} | {vsStj} | {vsMessagePack} |");
            }
        }

        buffer.Dispose();
        Console.WriteLine();
        Console.WriteLine($"load average at the end {LoadAverage()}");
        return 0;
    }

    private static Func<int> Writer<T>(PooledBufferWriter buffer, T value, MessagePackSerializerOptions options)
    {
        var formatter = options.Resolver.GetFormatterWithVerify<T>();
        return () =>
        {
            buffer.Clear();
            var writer = new MessagePackWriter(buffer);
            formatter.Serialize(ref writer, value, options);
            writer.Flush();
            return buffer.WrittenCount;
        };
    }

    private static Func<int> Reader<T>(T sample, MessagePackSerializerOptions options, Func<T, int> touch)
    {
        var formatter = options.Resolver.GetFormatterWithVerify<T>();
        using var buffer = new PooledBufferWriter();
        var writer = new MessagePackWriter(buffer);
        formatter.Serialize(ref writer, sample, options);
        writer.Flush();
        var bytes = new ReadOnlyMemory<byte>(buffer.WrittenSpan.ToArray());
        return () =>
        {
            var reader = new MessagePackReader(bytes);
            return touch(formatter.Deserialize(ref reader, options));
        };
    }

    private static int Json(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, Action<Utf8JsonWriter> write)
    {
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        write(writer);
        return buffer.WrittenCount;
    }

    /// <summary>ns per operation over about <paramref name="slice"/>.</summary>
    private static double Time(Func<int> op, TimeSpan slice)
    {
        long operations = 0;
        int sink = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < slice)
        {
            for (int i = 0; i < 64; i++)
            {
                sink += op();
            }

            operations += 64;
        }

        GC.KeepAlive(sink);
        return watch.Elapsed.TotalNanoseconds / operations;
    }

    /// <summary>The median over rounds of how many times faster <paramref name="fast"/> was than <paramref name="slow"/>.</summary>
    private static string Ratio(double[] slow, double[] fast)
    {
        var ratios = new double[slow.Length];
        for (int i = 0; i < ratios.Length; i++)
        {
            ratios[i] = slow[i] / fast[i];
        }

        return Median(ratios).ToString("0.00", CultureInfo.InvariantCulture) + "x";
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
