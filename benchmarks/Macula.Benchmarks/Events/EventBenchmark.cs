using Macula.Transport.InMemory;
using System.Diagnostics;
using System.Globalization;
using Macula.Benchmarks.Harness;
using Macula.Nats;
using Macula.Transport;

namespace Macula.Benchmarks.Events;

/// <summary>The event the benchmark publishes: a small order, about 60 bytes on the wire.</summary>
public sealed record BenchOrder(string OrderId, int Sequence, decimal Total);

[MaculaEvents("bench.orders")]
public interface IBenchEvents
{
    Task PlacedAsync(BenchOrder order);
}

/// <summary>Counts what it is handed and completes when it has seen the run's last event.</summary>
public sealed class BenchCounter : IBenchEvents
{
    private int _seen;
    private int _expected;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Seen => Volatile.Read(ref _seen);

    public Task Done => _done.Task;

    public void Reset(int expected)
    {
        _expected = expected;
        Volatile.Write(ref _seen, 0);
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public Task PlacedAsync(BenchOrder order)
    {
        if (Interlocked.Increment(ref _seen) == _expected)
        {
            _done.TrySetResult();
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Events per second from one publisher fanned out to 1 and to 10 subscribers (each a node with its own connection),
/// over a real nats-server and on the in-memory mesh, and what each event allocates on the publisher and per
/// subscriber. <c>dotnet run -c Release --project benchmarks/Macula.Benchmarks -- events [--events N] [--runs R]
/// [--subscribers 1,10] [--transports nats,memory] [--url nats://...] [--profile]</c> (<c>--profile</c> lists the types a run allocates); without <c>--url</c> it starts
/// <c>nats-server</c> on a free loopback port and stops it at the end.
/// </summary>
/// <remarks>
/// The publisher awaits each publish (at-most-once: the task completes when the transport has the message), never
/// more than 8,192 events ahead of the slowest subscriber, and the clock stops when every subscriber has handled the
/// last event. Allocation is the process's (every node is in it):
/// a run without subscribers gives the publisher's bytes per event, and a full run's bytes beyond that, divided by
/// the deliveries, each subscriber's bytes per event handled.
/// </remarks>
public static class EventBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int events = 200_000;
        int runs = 3;
        int[] fanOuts = [1, 10];
        string[] transports = ["nats", "memory"];
        string? url = null;
        bool profile = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--events": events = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--subscribers": fanOuts = Array.ConvertAll(args[++i].Split(','), s => int.Parse(s, CultureInfo.InvariantCulture)); break;
                case "--transports": transports = args[++i].Split(','); break;
                case "--url": url = args[++i]; break;
                case "--profile": profile = true; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: events [--events N] [--runs R] [--subscribers 1,10] [--transports nats,memory] [--url nats://...] [--profile]");
                    return 2;
            }
        }

        NatsServer? server = null;
        try
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"events: {events:N0} events per run, {runs} runs, {Environment.ProcessorCount} logical cores, load average {LoadAverage()}"));
            foreach (string transport in transports)
            {
                Func<IMaculaTransport> create;
                if (transport == "nats")
                {
                    if (url is null)
                    {
                        server = await NatsServer.StartAsync(CancellationToken.None).ConfigureAwait(false);
                        url = server.Url;
                        Console.WriteLine($"nats-server {server.Version} at {url}");
                    }

                    string natsUrl = url;
                    create = () => new NatsTransport(natsUrl);
                }
                else if (transport == "memory")
                {
                    var network = new InMemoryNetwork();
                    create = network.CreateTransport;
                }
                else
                {
                    Console.Error.WriteLine($"unknown transport {transport}: use nats or memory");
                    return 2;
                }

                foreach (int fanOut in fanOuts)
                {
                    await MeasureAsync(transport, create, fanOut, events, runs, profile).ConfigureAwait(false);
                }
            }

            Console.WriteLine($"load average at the end: {LoadAverage()}");
            return 0;
        }
        finally
        {
            server?.Dispose();
        }
    }

    private static async Task MeasureAsync(string transport, Func<IMaculaTransport> create, int fanOut, int events, int runs, bool profile)
    {
        string realm = "bench" + Guid.NewGuid().ToString("N")[..8];
        var nodes = new List<MaculaNode>();
        try
        {
            var publisherNode = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "publisher", Transport = create() }).ConfigureAwait(false);
            nodes.Add(publisherNode);
            var publisher = publisherNode.CreatePublisher<IBenchEvents>();

            // The publisher alone: what a publish costs with nobody listening.
            await PublishAsync(publisher, 10_000).ConfigureAwait(false);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await PublishAsync(publisher, events).ConfigureAwait(false);
            double publisherBytes = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / events;

            var counters = new List<BenchCounter>();
            for (int s = 0; s < fanOut; s++)
            {
                var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "subscriber" + s, Transport = create() }).ConfigureAwait(false);
                nodes.Add(node);
                var counter = new BenchCounter();
                await node.SubscribeAsync<IBenchEvents>(counter).ConfigureAwait(false);
                counters.Add(counter);
            }

            // Warm-up: JIT, connections, buffers.
            await RunOnceAsync(publisher, counters, 10_000).ConfigureAwait(false);
            var rates = new List<double>();
            for (int run = 0; run < runs; run++)
            {
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                var (elapsed, lost) = await RunOnceAsync(publisher, counters, events).ConfigureAwait(false);
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                double rate = events / elapsed.TotalSeconds;
                double subscriberBytes = (allocated - (publisherBytes * events)) / ((double)events * fanOut);
                rates.Add(rate);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {transport,-6} 1 -> {fanOut,2}  run {run + 1}: {rate,10:N0} events/s  {rate * fanOut,10:N0} deliveries/s  {elapsed.TotalMilliseconds,7:N0} ms  publisher {publisherBytes,5:N0} B/event  subscriber {subscriberBytes,5:N0} B/event{(lost > 0 ? $"  LOST {lost:N0} deliveries" : string.Empty)}"));
            }

            if (profile)
            {
                // Which types the full run allocates, sampled by the runtime (about one sample per 100 KB).
                using var sampler = new AllocationSampler();
                sampler.Start();
                await RunOnceAsync(publisher, counters, events).ConfigureAwait(false);
                sampler.Stop();
                foreach (var (type, bytes, _) in sampler.Top(12))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {(double)bytes / events,7:N1} B/event  {type}"));
                }
            }

            rates.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{transport,-6} 1 -> {fanOut,2}: median {rates[rates.Count / 2],10:N0} events/s"));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task PublishAsync(IBenchEvents publisher, int events)
    {
        for (int i = 0; i < events; i++)
        {
            await publisher.PlacedAsync(new BenchOrder("order-000042", i, 99.95m)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How far the publisher may run ahead of the slowest subscriber. Delivery is at-most-once: unpaced, a publisher
    /// that outruns its subscribers fills NATS.Client.Core's pending buffer (16,384 messages per subscription) and the
    /// newest events are dropped (a slow-consumer event). The benchmark measures the rate subscribers sustain.
    /// </summary>
    private const int InFlight = 8192;

    private static async Task PacedPublishAsync(IBenchEvents publisher, List<BenchCounter> counters, int events)
    {
        for (int i = 0; i < events; i++)
        {
            if ((i & 1023) == 0)
            {
                while (i - Slowest(counters) > InFlight)
                {
                    await Task.Delay(1).ConfigureAwait(false);
                }
            }

            await publisher.PlacedAsync(new BenchOrder("order-000042", i, 99.95m)).ConfigureAwait(false);
        }
    }

    private static int Slowest(List<BenchCounter> counters)
    {
        int slowest = int.MaxValue;
        foreach (var counter in counters)
        {
            slowest = Math.Min(slowest, counter.Seen);
        }

        return slowest;
    }

    private static async Task<(TimeSpan Elapsed, long Lost)> RunOnceAsync(IBenchEvents publisher, List<BenchCounter> counters, int events)
    {
        foreach (var counter in counters)
        {
            counter.Reset(events);
        }

        var clock = Stopwatch.StartNew();
        await PacedPublishAsync(publisher, counters, events).ConfigureAwait(false);
        var all = Task.WhenAll(counters.Select(c => c.Done));
        long lost = 0;
        try
        {
            // At-most-once: a subscriber that falls behind the NATS client's pending limit loses events; report them.
            await all.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lost = counters.Sum(c => (long)(events - c.Seen));
        }

        clock.Stop();
        return (clock.Elapsed, lost);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
