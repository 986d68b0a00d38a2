using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Macula.Benchmarks.Harness;
using Macula.Nats;

namespace Macula.Benchmarks.Streaming;

/// <summary>The stream the benchmark reads: <c>count</c> items of <c>size</c> bytes each.</summary>
[MaculaService("BenchFeed")]
public interface IBenchFeed
{
    IAsyncEnumerable<byte[]> BlobsAsync(int count, int size, CancellationToken cancellationToken = default);

    /// <summary>A client stream: reads every item, returns how many arrived.</summary>
    Task<int> SinkAsync(IAsyncEnumerable<byte[]> items, CancellationToken cancellationToken = default);

    /// <summary>A duplex stream: sends back each item it reads.</summary>
    IAsyncEnumerable<byte[]> EchoAsync(IAsyncEnumerable<byte[]> input, CancellationToken cancellationToken = default);
}

public sealed class BenchFeed : IBenchFeed
{
    public async IAsyncEnumerable<byte[]> BlobsAsync(int count, int size, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // One buffer for every item: the benchmark measures the stream, not the producer's allocations.
        byte[] blob = new byte[size];
        Random.Shared.NextBytes(blob);
        for (int i = 0; i < count; i++)
        {
            if ((i & 1023) == 0)
            {
                await Task.Yield();
            }

            yield return blob;
        }
    }

    public async Task<int> SinkAsync(IAsyncEnumerable<byte[]> items, CancellationToken cancellationToken = default)
    {
        int count = 0;
        await foreach (byte[] item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    public async IAsyncEnumerable<byte[]> EchoAsync(IAsyncEnumerable<byte[]> input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (byte[] item in input.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }
}

/// <summary>
/// Items per second of one server stream between two nodes (each with its own connection) over a real nats-server.
/// <c>dotnet run -c Release --project benchmarks/Macula.Benchmarks -- stream [--items N] [--size B] [--windows 16,64,256] [--runs R] [--shapes server,client,duplex] [--profile] [--url nats://...]</c>;
/// without <c>--url</c> it starts <c>nats-server</c> on a free loopback port and stops it at the end. A server stream
/// sends the items provider to client, a client stream client to provider, a duplex stream both ways (each item
/// crosses twice). <c>--profile</c> lists the types one more run of each window allocates.
/// </summary>
public static class StreamBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int items = 500_000;
        int size = 100;
        int runs = 3;
        int[] windows = [16, 64, 256];
        string? url = null;
        string[] shapes = ["server", "client", "duplex"];
        bool profile = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--items": items = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--windows": windows = Array.ConvertAll(args[++i].Split(','), w => int.Parse(w, CultureInfo.InvariantCulture)); break;
                case "--url": url = args[++i]; break;
                case "--shapes": shapes = args[++i].Split(','); break;
                case "--profile": profile = true; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: stream [--items N] [--size B] [--windows 16,64,256] [--runs R] [--shapes server,client,duplex] [--profile] [--url nats://...]");
                    return 2;
            }
        }

        Process? server = null;
        try
        {
            if (url is null)
            {
                (server, url) = await StartServerAsync().ConfigureAwait(false);
            }

            string realm = "bench" + Guid.NewGuid().ToString("N")[..8];
            await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "provider", Transport = new NatsTransport(url) }).ConfigureAwait(false);
            await using var registration = await provider.ProvideAsync<IBenchFeed>(new BenchFeed()).ConfigureAwait(false);
            await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "client", Transport = new NatsTransport(url) }).ConfigureAwait(false);
            Console.WriteLine($"stream: {items:N0} items of {size} B per run, {runs} runs per window, nats-server at {url}, {Environment.ProcessorCount} logical cores");

            foreach (string shape in shapes)
            {
                // Warm-up: JIT, discovery cache, connections.
                await RunShapeAsync(shape, client, 64, 20_000, size).ConfigureAwait(false);
                foreach (int window in windows)
                {
                    var rates = new List<double>();
                    for (int run = 0; run < runs; run++)
                    {
                        var (elapsed, allocated) = await RunShapeAsync(shape, client, window, items, size).ConfigureAwait(false);
                        double rate = items / elapsed.TotalSeconds;
                        rates.Add(rate);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  {shape,-6} window {window,4}  run {run + 1}: {rate,12:N0} items/s  {rate * size / 1e6,6:N1} MB/s of item data  {elapsed.TotalMilliseconds,8:N0} ms  {(double)allocated / items,6:N0} B allocated per item (both nodes)"));
                    }

                    if (profile)
                    {
                        // Which types one more run allocates, sampled by the runtime (about one sample per 100 KB).
                        using var sampler = new AllocationSampler();
                        sampler.Start();
                        await RunShapeAsync(shape, client, window, items, size).ConfigureAwait(false);
                        sampler.Stop();
                        foreach (var (type, bytes, _) in sampler.Top(14))
                        {
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {(double)bytes / items,7:N1} B/item  {type}"));
                        }
                    }

                    rates.Sort();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape,-6} window {window,4}: median {rates[rates.Count / 2],12:N0} items/s"));
                }
            }

            return 0;
        }
        finally
        {
            if (server is not null)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync().ConfigureAwait(false);
                server.Dispose();
            }
        }
    }

    private static Task<(TimeSpan Elapsed, long Allocated)> RunShapeAsync(string shape, MaculaNode client, int window, int items, int size) => shape switch
    {
        "server" => ReadAsync(client, window, items, size),
        "client" => SendAsync(client, window, items, size),
        "duplex" => EchoAsync(client, window, items, size),
        _ => throw new ArgumentException($"unknown shape '{shape}': use server, client or duplex"),
    };

    /// <summary>The client's items: one shared buffer, so the numbers are the stream's cost, not the producer's.</summary>
    private static async IAsyncEnumerable<byte[]> ItemsAsync(int count, int size)
    {
        byte[] blob = new byte[size];
        Random.Shared.NextBytes(blob);
        for (int i = 0; i < count; i++)
        {
            if ((i & 1023) == 0)
            {
                await Task.Yield();
            }

            yield return blob;
        }
    }

    private static async Task<(TimeSpan Elapsed, long Allocated)> SendAsync(MaculaNode client, int window, int items, int size)
    {
        var feed = client.CreateClient<IBenchFeed>(new ClientOptions { Streams = new StreamOptions { Window = window } });
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        int seen = await feed.SinkAsync(ItemsAsync(items, size)).ConfigureAwait(false);
        clock.Stop();
        if (seen != items)
        {
            throw new InvalidOperationException($"{seen} items arrived, not {items}");
        }

        return (clock.Elapsed, GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore);
    }

    private static async Task<(TimeSpan Elapsed, long Allocated)> EchoAsync(MaculaNode client, int window, int items, int size)
    {
        var feed = client.CreateClient<IBenchFeed>(new ClientOptions { Streams = new StreamOptions { Window = window } });
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        int seen = 0;
        await foreach (byte[] item in feed.EchoAsync(ItemsAsync(items, size)).ConfigureAwait(false))
        {
            if (item.Length != size)
            {
                throw new InvalidOperationException($"item {seen} has {item.Length} bytes, not {size}");
            }

            seen++;
        }

        clock.Stop();
        if (seen != items)
        {
            throw new InvalidOperationException($"{seen} items arrived, not {items}");
        }

        return (clock.Elapsed, GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore);
    }

    private static async Task<(TimeSpan Elapsed, long Allocated)> ReadAsync(MaculaNode client, int window, int items, int size)
    {
        var feed = client.CreateClient<IBenchFeed>(new ClientOptions { Streams = new StreamOptions { Window = window } });
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        int seen = 0;
        await foreach (byte[] item in feed.BlobsAsync(items, size).ConfigureAwait(false))
        {
            if (item.Length != size)
            {
                throw new InvalidOperationException($"item {seen} has {item.Length} bytes, not {size}");
            }

            seen++;
        }

        clock.Stop();
        if (seen != items)
        {
            throw new InvalidOperationException($"{seen} items arrived, not {items}");
        }

        return (clock.Elapsed, GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore);
    }

    private static async Task<(Process Server, string Url)> StartServerAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var start = new ProcessStartInfo("nats-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        var server = Process.Start(start) ?? throw new InvalidOperationException("nats-server did not start");
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return (server, $"nats://127.0.0.1:{port}");
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }
}
