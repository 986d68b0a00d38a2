using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Nats.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Macula.Nats.Tests.Server;

[MaculaService("LoadProbe")]
public interface ILoadProbe
{
    /// <summary>Not idempotent: counts its executions by <paramref name="id"/>, waits for the gate (ignoring its token).</summary>
    [MaculaMethod(Idempotent = false)]
    Task<string> ChargeAsync(int id, CancellationToken cancellationToken = default);
}

public sealed class LoadProbe(string name) : ILoadProbe
{
    private int _inFlight;
    private int _maxInFlight;

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentDictionary<int, int> Executions { get; } = new();

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async Task<string> ChargeAsync(int id, CancellationToken cancellationToken = default)
    {
        Executions.AddOrUpdate(id, 1, static (_, n) => n + 1);
        int now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }

        try
        {
            await Gate.Task.ConfigureAwait(false);
            return name;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>Load shedding over a real nats-server (issue 20, point 5): the same guarantees as in memory.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class LoadSheddingOverNatsTests(NatsServerFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Slow_provider_under_2000_callers_runs_exactly_its_limit_and_sheds_the_rest_to_a_second_provider_running_nothing_twice()
    {
        const int callers = 2000;
        const int limit = 8;
        const int queue = 16;
        string realm = "shed" + Guid.NewGuid().ToString("N")[..6];
        var slowShedding = new LoadSheddingOptions { MaxConcurrency = limit, QueueLength = queue, MaxQueueWait = TimeSpan.FromSeconds(60) };
        await using var slowNode = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "s0", Transport = new NatsTransport(fixture.Url), LoadShedding = slowShedding });
        var slow = new LoadProbe("s0");
        await slowNode.ProvideAsync<ILoadProbe>(slow);
        await using var fastNode = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "s1", Transport = new NatsTransport(fixture.Url), LoadShedding = new LoadSheddingOptions { MaxConcurrency = callers, QueueLength = 0 } });
        var fast = new LoadProbe("s1");
        fast.Gate.TrySetResult();
        await fastNode.ProvideAsync<ILoadProbe>(fast);
        await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "client", Transport = new NatsTransport(fixture.Url) });
        var probe = client.CreateClient<ILoadProbe>(new ClientOptions { Strategy = SelectionStrategy.First, Timeout = HangGuard });
        Assert.Equal(2, (await client.FindProvidersAsync("LoadProbe")).Count);

        var clock = Stopwatch.StartNew();
        int done = 0;
        var othersDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, callers).Select(async id =>
        {
            try
            {
                return await probe.ChargeAsync(id);
            }
            finally
            {
                if (Interlocked.Increment(ref done) == callers - limit - queue)
                {
                    othersDone.TrySetResult();
                }
            }
        }).ToList();

        await othersDone.Task.WaitAsync(HangGuard);
        output.WriteLine($"MEASURE shed over NATS: {callers - limit - queue} of {callers} calls shed and served elsewhere in {clock.Elapsed.TotalMilliseconds:0} ms; {limit} held, {queue} queued");
        var gate = slowNode.GateOf("LoadProbe")!;
        Assert.Equal(limit, slow.InFlight);
        Assert.Equal(queue, gate.Queued);

        slow.Gate.TrySetResult();
        var served = await Task.WhenAll(calls).WaitAsync(HangGuard);

        Assert.Equal(limit, slow.MaxInFlight);
        Assert.Equal(queue, gate.PeakQueued);
        Assert.Equal(limit + queue, served.Count(s => s == "s0"));
        Assert.Equal(callers - limit - queue, served.Count(s => s == "s1"));
        for (int id = 0; id < callers; id++)
        {
            int runs = slow.Executions.GetValueOrDefault(id) + fast.Executions.GetValueOrDefault(id);
            Assert.True(runs == 1, $"request {id} ran {runs} times");
        }
    }
}
