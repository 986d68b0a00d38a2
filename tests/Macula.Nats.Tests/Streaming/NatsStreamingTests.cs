using System.Runtime.CompilerServices;
using Macula.Nats.Tests.Infrastructure;

namespace Macula.Nats.Tests.Streaming;

[MaculaService("Feed")]
public interface IFeed
{
    IAsyncEnumerable<int> CountAsync(int count, CancellationToken cancellationToken = default);

    IAsyncEnumerable<int> ForeverAsync(CancellationToken cancellationToken = default);

    IAsyncEnumerable<int> FailAfterAsync(int count, string message, CancellationToken cancellationToken = default);
}

/// <summary>Counts what it produced against what the test's consumer finished with (same process), and how streams ended.</summary>
public sealed class Feed : IFeed
{
    private long _produced;
    private long _consumed;
    private long _maxAhead;
    private int _opened;

    public long MaxAhead => Volatile.Read(ref _maxAhead);

    public int Opened => Volatile.Read(ref _opened);

    /// <summary>Completes when an enumeration ends; true if its token had fired by then.</summary>
    public TaskCompletionSource<bool> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OnConsumed() => Interlocked.Increment(ref _consumed);

    public async IAsyncEnumerable<int> CountAsync(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _opened);
        for (int i = 0; i < count; i++)
        {
            if ((i & 255) == 0)
            {
                await Task.Yield();
            }

            Produced();
            yield return i;
        }
    }

    public async IAsyncEnumerable<int> ForeverAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _opened);
        try
        {
            for (int i = 0; ; i++)
            {
                await Task.Yield();
                Produced();
                yield return i;
            }
        }
        finally
        {
            Ended.TrySetResult(cancellationToken.IsCancellationRequested);
        }
    }

    public async IAsyncEnumerable<int> FailAfterAsync(int count, string message, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _opened);
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }

        throw new InvalidOperationException(message);
    }

    private void Produced()
    {
        long ahead = Interlocked.Increment(ref _produced) - Volatile.Read(ref _consumed);
        long max = Volatile.Read(ref _maxAhead);
        while (ahead > max)
        {
            long seen = Interlocked.CompareExchange(ref _maxAhead, ahead, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }
}

/// <summary>Server streams between nodes over a real nats-server.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class NatsStreamingTests(NatsServerFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private Task<MaculaNode> StartNodeAsync(string realm, string nodeId, NatsTransport? transport = null) =>
        MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = nodeId, Transport = transport ?? new NatsTransport(fixture.Url), IncludeErrorDetails = true });

    private static string NewRealm() => "stream" + Guid.NewGuid().ToString("N")[..8];

    private static IFeed Client(MaculaNode node, int window = 64, TimeSpan? idle = null) =>
        node.CreateClient<IFeed>(new ClientOptions
        {
            Strategy = SelectionStrategy.First,
            Streams = new StreamOptions { Window = window, IdleTimeout = idle ?? TimeSpan.FromSeconds(30) },
        });

    [Fact]
    public async Task Hundred_thousand_items_arrive_in_order_none_lost_or_duplicated()
    {
        string realm = NewRealm();
        var feed = new Feed();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<IFeed>(feed);
        await using var client = await StartNodeAsync(realm, "client");

        int expected = 0;
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (int item in Client(client).CountAsync(100_000).WithCancellation(bound.Token))
        {
            Assert.Equal(expected, item);
            expected++;
        }

        Assert.Equal(100_000, expected);
        Assert.Equal(1, feed.Opened);
    }

    [Fact]
    public async Task Empty_stream_ends_at_once()
    {
        string realm = NewRealm();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<IFeed>(new Feed());
        await using var client = await StartNodeAsync(realm, "client");

        Assert.Empty(await Client(client).CountAsync(0).ToListAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task Slow_consumer_keeps_the_producer_within_the_window()
    {
        string realm = NewRealm();
        var feed = new Feed();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<IFeed>(feed);
        await using var client = await StartNodeAsync(realm, "client");

        int expected = 0;
        await foreach (int item in Client(client, window: 8).CountAsync(150))
        {
            Assert.Equal(expected++, item);
            await Task.Delay(2);
            feed.OnConsumed();
        }

        Assert.Equal(150, expected);
        Assert.InRange(feed.MaxAhead, 1, 8);
    }

    [Fact]
    public async Task Breaking_out_stops_the_providers_enumeration()
    {
        string realm = NewRealm();
        var feed = new Feed();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<IFeed>(feed);
        await using var client = await StartNodeAsync(realm, "client");

        int seen = 0;
        await foreach (int item in Client(client).ForeverAsync())
        {
            if (++seen == 5)
            {
                break;
            }
        }

        Assert.True(await feed.Ended.Task.WaitAsync(Bound), "the implementation's enumerator token did not fire");
    }

    [Fact]
    public async Task Exception_mid_stream_arrives_after_the_items_already_sent()
    {
        string realm = NewRealm();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<IFeed>(new Feed());
        await using var client = await StartNodeAsync(realm, "client");

        var items = new List<int>();
        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(async () =>
        {
            await foreach (int item in Client(client).FailAfterAsync(3, "boom"))
            {
                items.Add(item);
            }
        }).WaitAsync(Bound);

        Assert.Equal([0, 1, 2], items);
        Assert.Equal("System.InvalidOperationException", ex.RemoteType);
        Assert.Equal("boom", ex.RemoteMessage);
    }

    [Fact]
    public async Task Provider_killed_mid_stream_ends_it_with_a_timeout_not_a_hang()
    {
        string realm = NewRealm();
        var dying = new Feed();
        var other = new Feed();
        var dyingTransport = new NatsTransport(fixture.Url);
        var p0 = await StartNodeAsync(realm, "p0", dyingTransport);
        await p0.ProvideAsync<IFeed>(dying);
        await using var p1 = await StartNodeAsync(realm, "p1");
        await using var registration = await p1.ProvideAsync<IFeed>(other);
        await using var client = await StartNodeAsync(realm, "client");
        try
        {
            var items = new List<int>();
            var ex = await Assert.ThrowsAsync<MaculaRpcException>(async () =>
            {
                await foreach (int item in Client(client, idle: TimeSpan.FromSeconds(1)).ForeverAsync())
                {
                    items.Add(item);
                    if (items.Count == 10)
                    {
                        // The provider's connection goes away without a goodbye, as when its process dies.
                        await dyingTransport.DisposeAsync();
                    }
                }
            }).WaitAsync(Bound);

            Assert.Equal(MaculaErrorCode.Timeout, ex.Code);
            Assert.Equal(Enumerable.Range(0, items.Count), items);
            Assert.Equal(1, dying.Opened);
            Assert.Equal(0, other.Opened);
        }
        finally
        {
            await p0.DisposeAsync();
        }
    }

    [Fact]
    public async Task Opening_fails_over_at_once_past_a_provider_that_is_gone()
    {
        string realm = NewRealm();
        var gone = new Feed();
        var alive = new Feed();
        var goneTransport = new NatsTransport(fixture.Url);
        var p0 = await StartNodeAsync(realm, "p0", goneTransport);
        await p0.ProvideAsync<IFeed>(gone);
        await using var p1 = await StartNodeAsync(realm, "p1");
        await using var registration = await p1.ProvideAsync<IFeed>(alive);
        await using var client = await StartNodeAsync(realm, "client");
        try
        {
            var feed = Client(client);
            Assert.Equal([0, 1], await feed.CountAsync(2).ToListAsync());
            Assert.Equal(1, gone.Opened);

            await goneTransport.DisposeAsync();
            await WaitForNoRespondersAsync(client, "p0");

            Assert.Equal(Enumerable.Range(0, 500), await feed.CountAsync(500).ToListAsync().AsTask().WaitAsync(Bound));
            Assert.Equal(1, gone.Opened);
            Assert.Equal(1, alive.Opened);
        }
        finally
        {
            await p0.DisposeAsync();
        }
    }

    private static async Task WaitForNoRespondersAsync(MaculaNode client, string nodeId)
    {
        for (int i = 0; i < 100; i++)
        {
            try
            {
                await client.PingAsync(nodeId, TimeSpan.FromSeconds(1));
                await Task.Delay(50);
            }
            catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.NoResponders)
            {
                return;
            }
            catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.Timeout)
            {
                // The server had not yet dropped the closed connection's subscriptions: the ping went to it. Ask again.
            }
        }

        Assert.Fail($"{nodeId} still answers after its transport was disposed.");
    }
}
