using System.Collections.Concurrent;
using Macula.Nats.Tests.Infrastructure;

namespace Macula.Nats.Tests.OneWay;

[MaculaService("Bell")]
public interface IBell
{
    [MaculaMethod(OneWay = true)]
    Task RingAsync(int id, CancellationToken cancellationToken = default);
}

/// <summary>Records each ring as it starts, then waits for the test's gate.</summary>
public sealed class Bell : IBell
{
    private readonly ConcurrentQueue<int> _started = new();

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<int> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int[] Started => [.. _started];

    public async Task RingAsync(int id, CancellationToken cancellationToken = default)
    {
        _started.Enqueue(id);
        await Gate.Task.WaitAsync(cancellationToken);
        Finished.TrySetResult(id);
    }
}

/// <summary>One-way methods between nodes over a real nats-server.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class NatsOneWayTests(NatsServerFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private Task<MaculaNode> StartNodeAsync(string realm, string nodeId) =>
        MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = nodeId, Transport = new NatsTransport(fixture.Url), ShutdownGracePeriod = TimeSpan.FromMilliseconds(200) });

    private static string NewRealm() => "oneway" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task One_way_call_returns_before_the_implementation_finishes()
    {
        string realm = NewRealm();
        var bell = new Bell();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<IBell>(bell);
        await using var client = await StartNodeAsync(realm, "client");

        await client.CreateClient<IBell>().RingAsync(3).WaitAsync(Bound);
        Assert.False(bell.Finished.Task.IsCompleted);
        Assert.Equal([3], bell.Started);

        bell.Gate.SetResult();
        Assert.Equal(3, await bell.Finished.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Thousand_one_way_calls_start_in_order_exactly_once()
    {
        string realm = NewRealm();
        var bell = new Bell();
        bell.Gate.SetResult();
        await using var provider = await StartNodeAsync(realm, "p");
        await using var registration = await provider.ProvideAsync<IBell>(bell);
        await using var client = await StartNodeAsync(realm, "client");
        var proxy = client.CreateClient<IBell>();

        for (int i = 0; i < 1000; i++)
        {
            await proxy.RingAsync(i).WaitAsync(Bound);
        }

        Assert.Equal(Enumerable.Range(0, 1000), bell.Started);
    }
}
