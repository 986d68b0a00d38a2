using System.Runtime.CompilerServices;
using Macula.Nats.Tests.Infrastructure;

namespace Macula.Nats.Tests.Streaming;

[MaculaService("Collector")]
public interface ICollector
{
    Task<int[]> CollectAsync(IAsyncEnumerable<int> items, CancellationToken cancellationToken = default);

    IAsyncEnumerable<int> EchoAsync(IAsyncEnumerable<int> input, CancellationToken cancellationToken = default);

    Task<int> FailAfterAsync(IAsyncEnumerable<int> items, int count, CancellationToken cancellationToken = default);
}

/// <summary>Counts what it read against what the test's client produced (same process).</summary>
public sealed class Collector : ICollector
{
    private long _produced;
    private long _consumed;
    private long _maxAhead;

    public long MaxAhead => Volatile.Read(ref _maxAhead);

    public TaskCompletionSource<Exception?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<int[]> CollectAsync(IAsyncEnumerable<int> items, CancellationToken cancellationToken = default)
    {
        var read = new List<int>();
        await foreach (int item in items.WithCancellation(cancellationToken))
        {
            Interlocked.Increment(ref _consumed);
            read.Add(item);
        }

        return [.. read];
    }

    public async IAsyncEnumerable<int> EchoAsync(IAsyncEnumerable<int> input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (int item in input.WithCancellation(cancellationToken))
        {
            Interlocked.Increment(ref _consumed);
            yield return item;
        }
    }

    public async Task<int> FailAfterAsync(IAsyncEnumerable<int> items, int count, CancellationToken cancellationToken = default)
    {
        int read = 0;
        try
        {
            await foreach (int item in items.WithCancellation(cancellationToken))
            {
                if (++read == count)
                {
                    throw new InvalidOperationException("collector broke");
                }
            }
        }
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            Ended.TrySetResult(ex);
            throw;
        }

        return read;
    }

    /// <summary>The items a test's client streams: 0, 1, ..., count - 1, then (when <paramref name="failAfter"/> is reached) an exception.</summary>
    public async IAsyncEnumerable<int> ItemsAsync(int count, int failAfter = -1)
    {
        for (int i = 0; i < count; i++)
        {
            if (i == failAfter)
            {
                throw new InvalidOperationException("the client's items broke");
            }

            if ((i & 63) == 0)
            {
                await Task.Yield();
            }

            long ahead = Interlocked.Increment(ref _produced) - Volatile.Read(ref _consumed);
            long max = Volatile.Read(ref _maxAhead);
            while (ahead > max && Interlocked.CompareExchange(ref _maxAhead, ahead, max) != max)
            {
                max = Volatile.Read(ref _maxAhead);
            }

            yield return i;
        }
    }
}

/// <summary>Client and duplex streams between nodes over a real nats-server.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class NatsClientStreamingTests(NatsServerFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private Task<MaculaNode> StartNodeAsync(string realm, string nodeId) =>
        MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = nodeId, Transport = new NatsTransport(fixture.Url), IncludeErrorDetails = true });

    private static string NewRealm() => "cstream" + Guid.NewGuid().ToString("N")[..8];

    private static ICollector Client(MaculaNode node, int window) =>
        node.CreateClient<ICollector>(new ClientOptions { Strategy = SelectionStrategy.First, Streams = new StreamOptions { Window = window } });

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task Client_stream_delivers_1000_items_in_order_exactly_once(int window)
    {
        string realm = NewRealm();
        var collector = new Collector();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<ICollector>(collector);
        await using var client = await StartNodeAsync(realm, "client");

        var read = await Client(client, window).CollectAsync(collector.ItemsAsync(1000)).WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 1000), read);
        Assert.InRange(collector.MaxAhead, 1, window);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task Duplex_stream_echoes_1000_items_in_order_exactly_once(int window)
    {
        string realm = NewRealm();
        var collector = new Collector();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<ICollector>(collector);
        await using var client = await StartNodeAsync(realm, "client");

        var echoed = await Client(client, window).EchoAsync(collector.ItemsAsync(1000)).ToListAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 1000), echoed);
        Assert.InRange(collector.MaxAhead, 1, window);
    }

    [Fact]
    public async Task Errors_end_a_client_stream_on_both_sides()
    {
        string realm = NewRealm();
        var collector = new Collector();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<ICollector>(collector);
        await using var client = await StartNodeAsync(realm, "client");

        var remote = await Assert.ThrowsAsync<MaculaRemoteException>(() => Client(client, 8).FailAfterAsync(collector.ItemsAsync(int.MaxValue), 5).WaitAsync(Bound));
        Assert.Equal("collector broke", remote.RemoteMessage);

        var local = await Assert.ThrowsAsync<InvalidOperationException>(() => Client(client, 8).FailAfterAsync(collector.ItemsAsync(100, failAfter: 3), 50).WaitAsync(Bound));
        Assert.Equal("the client's items broke", local.Message);
        var seen = Assert.IsType<MaculaRemoteException>(await collector.Ended.Task.WaitAsync(Bound));
        Assert.Contains("the client's items broke", seen.RemoteMessage, StringComparison.Ordinal);
    }
}
