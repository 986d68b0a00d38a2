using Macula.Tests.Rpc;

namespace Macula.Tests.Discovery;

/// <summary>Providers announce joining and leaving, so clients react before their discovery cache expires.</summary>
public sealed class PushInvalidationTests
{
    [Fact]
    public async Task A_withdrawn_provider_leaves_client_caches_at_once_and_gets_no_more_attempts()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        for (int i = 0; i < 3; i++)
        {
            await probe.WhoAsync();
        }

        await mesh.Client.Announcements.WatchingAsync("Probe");
        var leaving = mesh.Providers[1];
        await leaving.Registration.DisposeAsync();
        await WaitUntilAsync(async () => (await mesh.Client.Discovery.GetAsync("Probe", default)).Entries.All(e => e.NodeId != "p1"));

        int before = leaving.Impl.Calls;
        for (int i = 0; i < 30; i++)
        {
            Assert.NotEqual("p1", await probe.WhoAsync());
        }

        Assert.Equal(before, leaving.Impl.Calls);
        Assert.DoesNotContain(mesh.Events, e => e.Kind == MaculaEventKind.Failover);
    }

    [Fact]
    public async Task A_new_provider_gets_calls_long_before_the_cache_ttl()
    {
        await using var mesh = await ProbeMesh.StartAsync(1, o => o with { DiscoveryCacheTtl = TimeSpan.FromMinutes(10) });
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        Assert.Equal("p0", await probe.WhoAsync());
        await mesh.Client.Announcements.WatchingAsync("Probe");

        await using var late = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = mesh.Network.CreateTransport(), NodeId = "late" });
        await using var registration = await late.ProvideAsync<IProbe>(new ProbeImpl("late"));

        // With a 10-minute cache only the announcement can bring the newcomer in within this bound.
        await WaitUntilAsync(async () => await probe.WhoAsync() == "late");
    }

    [Fact]
    public async Task A_malformed_announcement_is_dropped_and_reported()
    {
        await using var mesh = await ProbeMesh.StartAsync(1);
        var probe = mesh.CreateClient();
        await probe.WhoAsync();
        await mesh.Client.Announcements.WatchingAsync("Probe");

        await mesh.ClientTransport.PublishAsync("macula.default.discovery.Probe", new byte[] { 0x91, 0xc1 });

        await WaitUntilAsync(() => Task.FromResult(mesh.Events.Any(e => e.Kind == MaculaEventKind.BadMessage && e.Message.Contains("discovery"))));
        Assert.Equal("p0", await probe.WhoAsync());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail("The condition did not hold within 5 s.");
    }
}
