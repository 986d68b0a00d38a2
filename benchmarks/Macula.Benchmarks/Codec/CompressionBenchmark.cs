using System.Diagnostics;
using System.Globalization;
using Macula.Serialization;
using MessagePack;

namespace Macula.Benchmarks.Codec;

/// <summary>
/// <c>lz4</c>: what LZ4 (the Lz4BlockArray layout Macula sends with <c>Macula-Compression: lz4</c>) does to bodies of
/// different sizes and kinds: bytes before and after, and the CPU time to compress and to decompress one body.
/// </summary>
internal static class CompressionBenchmark
{
    public static int Run(string[] args)
    {
        var options = MaculaSerializer.DefaultOptions;
        var random = new Random(7);
        var bodies = new List<(string Name, byte[] Body)>();
        foreach (int items in new[] { 1, 10, 100, 1000 })
        {
            var order = CodecSamples.Order();
            order.Items.Clear();
            for (int i = 0; i < items; i++)
            {
                order.Items.Add(new LineItem { Sku = "SKU-" + (10000 + i), Description = "Stainless hex bolt M" + (6 + (i % 20)) + " x " + (40 + (i % 9 * 5)) + " mm", Quantity = 1 + (i % 17), UnitPrice = 0.25 + (i % 13), Gift = i % 4 == 0 });
            }

            bodies.Add(($"Order, {items} line items (map)", MaculaSerializer.Serialize(order)));
        }

        var noise = new byte[64 * 1024];
        random.NextBytes(noise);
        bodies.Add(("64 KiB of random bytes (bin)", MaculaSerializer.Serialize(noise)));

        Console.WriteLine("| body | bytes | LZ4 bytes | ratio | compress | decompress |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, body) in bodies)
        {
            using var packed = new PooledBufferWriter(body.Length + 64);
            Lz4BlockArray.Compress(body, packed);
            byte[] compressed = packed.WrittenSpan.ToArray();
            double compress = Time(() =>
            {
                packed.Clear();
                Lz4BlockArray.Compress(body, packed);
            });
            double decompress = Time(() => Lz4BlockArray.Decompress(compressed, int.MaxValue));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {body.Length} | {compressed.Length} | {(double)body.Length / compressed.Length:0.00} | {compress:0.0} µs | {decompress:0.0} µs |"));
        }

        return 0;
    }

    /// <summary>Median µs of one call over 15 rounds of about 100 ms.</summary>
    private static double Time(Action action)
    {
        var rounds = new double[15];
        for (int r = -2; r < rounds.Length; r++)
        {
            long calls = 0;
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < 100)
            {
                action();
                calls++;
            }

            if (r >= 0)
            {
                rounds[r] = watch.Elapsed.TotalMicroseconds / calls;
            }
        }

        Array.Sort(rounds);
        return rounds[rounds.Length / 2];
    }
}
