using Macula.Discovery;
using Macula.Health;
using Macula.Rpc;
using Macula.Rpc.Client;

namespace Macula.Tests.Rpc;

public sealed class CircuitBreakerTests
{
    [Fact]
    public void Opens_after_threshold_half_opens_after_cooldown_and_one_trial_closes_it()
    {
        var clock = new ManualTimeProvider();
        var health = new ProviderHealth("svc", "n0", new CircuitBreakerOptions { FailureThreshold = 5, Cooldown = TimeSpan.FromSeconds(1) }, clock);
        for (int i = 0; i < 4; i++)
        {
            health.OnStart();
            Assert.Null(health.OnFailure("x"));
        }

        Assert.Equal(CircuitState.Closed, health.State);
        health.OnStart();
        Assert.Equal(CircuitState.Open, health.OnFailure("x"));
        Assert.False(health.IsAvailable);

        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.True(health.IsAvailable);
        health.OnStart();
        Assert.Equal(CircuitState.HalfOpen, health.State);
        Assert.False(health.IsAvailable); // only one trial at a time

        health.OnSuccess(TimeSpan.FromMilliseconds(2));
        Assert.Equal(CircuitState.Closed, health.State);
        Assert.True(health.IsAvailable);
    }

    [Fact]
    public void Failed_trial_reopens_with_a_longer_cooldown()
    {
        var clock = new ManualTimeProvider();
        var health = new ProviderHealth("svc", "n0", new CircuitBreakerOptions { FailureThreshold = 1, Cooldown = TimeSpan.FromSeconds(1) }, clock);
        health.OnStart();
        health.OnFailure("x");
        clock.Advance(TimeSpan.FromSeconds(1.1));
        health.OnStart();
        health.OnFailure("again");
        Assert.Equal(CircuitState.Open, health.State);

        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.False(health.IsAvailable); // the second cooldown is 2 s
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(health.IsAvailable);
        Assert.Equal("again", health.Snapshot().LastError);
    }

    [Fact]
    public void Open_provider_is_not_selected_while_a_closed_one_exists()
    {
        var clock = new ManualTimeProvider();
        var table = new HealthTable(new CircuitBreakerOptions { FailureThreshold = 1 }, clock);
        var ps = Enumerable.Range(0, 3).Select(i => new ProviderEntry(
            new ProviderRecord($"n{i}", $"s.n{i}", new Dictionary<string, string>(), TimeSpan.FromMinutes(5), clock.GetUtcNow()), table.Get("svc", $"n{i}"))).ToArray();
        ps[0].Health.OnStart();
        ps[0].Health.OnFailure("dead");
        long rr = 0;

        for (int i = 0; i < 300; i++)
        {
            Assert.NotEqual(0, ProviderSelector.Select(SelectionStrategy.Random, ps, null, ref rr));
        }

        Assert.Equal(0, ProviderSelector.Select(SelectionStrategy.First, ps, ["n1", "n2"], ref rr));
    }

    [Fact]
    public async Task Health_is_exposed_read_only_on_the_node()
    {
        await using var mesh = await ProbeMesh.StartAsync(2, o => o with { CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 2 } });
        mesh.Providers[0].Transport.Faults.DropIncoming = true;
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, AttemptTimeout = TimeSpan.FromSeconds(1) });
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("p1", await probe.WhoAsync());
        }

        var health = mesh.Client.GetProviderHealth();
        var p0 = Assert.Single(health, h => h.NodeId == "p0");
        var p1 = Assert.Single(health, h => h.NodeId == "p1");
        Assert.Equal(CircuitState.Open, p0.Circuit);
        Assert.Equal(2, p0.ConsecutiveFailures);
        Assert.Contains("No reply", p0.LastError);
        Assert.Equal(CircuitState.Closed, p1.Circuit);
        Assert.True(p1.LatencyEwmaMs > 0);
        Assert.Equal(0, p1.InFlight);
        Assert.Contains(mesh.Events, e => e.Kind == MaculaEventKind.CircuitChanged && e.Message.Contains("p0"));
    }
}
