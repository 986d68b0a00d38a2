namespace Macula.Tests.Rpc;

public sealed class FailoverTests
{
    [Fact]
    public async Task Dead_provider_is_skipped_at_once_through_no_responders()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First });
        Assert.Equal("p0", await probe.WhoAsync());

        mesh.Providers[0].Transport.Kill();

        Assert.Equal("p1", await probe.WhoAsync());
        Assert.Contains(mesh.Events, e => e.Kind == MaculaEventKind.Failover && e.Message.Contains("p0"));
    }

    [Fact]
    public async Task Timeout_fails_over_an_idempotent_call()
    {
        await using var mesh = await ProbeMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.DropIncoming = true;
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, AttemptTimeout = TimeSpan.FromSeconds(2) });

        Assert.Equal("p1", await probe.WhoAsync());
    }

    [Fact]
    public async Task Non_idempotent_call_whose_provider_times_out_runs_at_most_once_across_the_mesh()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, AttemptTimeout = TimeSpan.FromMilliseconds(200) });

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.ChargeAsync(1_000).AsTask());

        Assert.Equal(MaculaErrorCode.Timeout, ex.Code);
        Assert.Single(ex.Attempts);
        await Task.Delay(1_500);
        Assert.Equal(1, mesh.Providers.Sum(p => p.Impl.Charges));
    }

    [Fact]
    public async Task Non_idempotent_call_fails_over_when_the_request_never_reached_the_provider()
    {
        await using var mesh = await ProbeMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.NoResponders = true;
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First });

        Assert.Equal("p1", await probe.ChargeAsync(0));
        Assert.Equal(0, mesh.Providers[0].Impl.Charges);
        Assert.Equal(1, mesh.Providers[1].Impl.Charges);
    }

    [Fact]
    public async Task Every_provider_failing_raises_AllProvidersFailed_with_each_attempt()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        foreach (var p in mesh.Providers)
        {
            p.Transport.Faults.DropIncoming = true;
        }

        var probe = mesh.CreateClient(new ClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(100) });
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.WhoAsync().AsTask());

        Assert.Equal(MaculaErrorCode.AllProvidersFailed, ex.Code);
        Assert.Equal(3, ex.Attempts.Count);
        Assert.Equal(3, ex.Attempts.Select(a => a.NodeId).Distinct().Count());
        Assert.All(ex.Attempts, a => Assert.Equal(MaculaErrorCode.Timeout, a.Code));
        Assert.All(ex.Attempts, a => Assert.True(a.Duration > TimeSpan.Zero));
    }

    [Fact]
    public async Task Running_out_of_attempts_before_providers_raises_MaxAttemptsExceeded()
    {
        await using var mesh = await ProbeMesh.StartAsync(4);
        foreach (var p in mesh.Providers)
        {
            p.Transport.Faults.NoResponders = true;
        }

        var probe = mesh.CreateClient(new ClientOptions { MaxAttempts = 2 });
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.WhoAsync().AsTask());

        Assert.Equal(MaculaErrorCode.MaxAttemptsExceeded, ex.Code);
        Assert.Equal(2, ex.Attempts.Count);
        Assert.All(ex.Attempts, a => Assert.Equal(MaculaErrorCode.NoResponders, a.Code));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(5, 3)]
    public async Task Default_max_attempts_is_min_of_3_and_providers(int providers, int expectedAttempts)
    {
        await using var mesh = await ProbeMesh.StartAsync(providers);
        foreach (var p in mesh.Providers)
        {
            p.Transport.Faults.NoResponders = true;
        }

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => mesh.CreateClient().WhoAsync().AsTask());
        Assert.Equal(expectedAttempts, ex.Attempts.Count);
        Assert.Equal(ex.Attempts.Count, ex.Attempts.Select(a => a.NodeId).Distinct().Count());
    }

    [Fact]
    public async Task Per_call_max_attempts_overrides_the_client()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        foreach (var p in mesh.Providers)
        {
            p.Transport.Faults.NoResponders = true;
        }

        var probe = mesh.CreateClient(new ClientOptions { MaxAttempts = 3 }).WithOptions(new CallOptions { MaxAttempts = 1 });
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.WhoAsync().AsTask());
        Assert.Single(ex.Attempts);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_view_of_a_view_keeps_the_options_the_second_view_leaves_unset(bool madeBeforeTheNodeStarted)
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        foreach (var p in mesh.Providers)
        {
            p.Transport.Faults.NoResponders = true;
        }

        // A client made before its node started (as hosting makes them) merges per-call options as any client does.
        var client = madeBeforeTheNodeStarted
            ? MaculaNode.CreateClient<IProbe>(Task.FromResult(mesh.Client), new ClientOptions { MaxAttempts = 3 })
            : mesh.CreateClient(new ClientOptions { MaxAttempts = 3 });
        var probe = client
            .WithOptions(new CallOptions { MaxAttempts = 1 })
            .WithOptions(new CallOptions { Timeout = TimeSpan.FromSeconds(5) });

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.WhoAsync().AsTask());
        Assert.Single(ex.Attempts);
    }

    [Fact]
    public async Task Error_reply_is_told_apart_from_a_timeout()
    {
        await using var mesh = await ProbeMesh.StartAsync(2);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, AttemptTimeout = TimeSpan.FromMilliseconds(150) });
        mesh.Providers[0].Transport.Faults.DropIncoming = true;
        mesh.Providers[1].Transport.Faults.NoResponders = true;

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.WhoAsync().AsTask());
        Assert.Equal(new[] { MaculaErrorCode.Timeout, MaculaErrorCode.NoResponders }, ex.Attempts.Select(a => a.Code));
    }

    [Fact]
    public async Task Shutting_down_provider_answers_ShuttingDown_and_the_call_fails_over_even_when_not_idempotent()
    {
        await using var mesh = await ProbeMesh.StartAsync(2, o => o with { ShutdownGracePeriod = TimeSpan.FromSeconds(5) });
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First });
        var slow = probe.SlowAsync(500).AsTask();
        await mesh.Providers[0].Impl.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var stopping = mesh.Providers[0].Registration.DisposeAsync().AsTask();
        await Task.Delay(100);
        Assert.Equal("p1", await probe.ChargeAsync(0));

        Assert.Equal("p0", await slow.WaitAsync(TimeSpan.FromSeconds(10)));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, mesh.Providers[0].Impl.Charges);
    }

    [Fact]
    public async Task Stale_cache_is_refreshed_once_when_every_cached_provider_failed()
    {
        await using var mesh = await ProbeMesh.StartAsync(1);
        var probe = mesh.CreateClient();
        Assert.Equal("p0", await probe.WhoAsync());

        // A new provider arrives and the old one dies: the cached list knows only the dead one.
        var transport = mesh.Network.CreateTransport();
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = transport, NodeId = "late" });
        await using var reg = await node.ProvideAsync<IProbe>(new ProbeImpl("late"));
        mesh.Providers[0].Transport.Kill();

        Assert.Equal("late", await probe.WhoAsync());
    }

    [Fact]
    public async Task Provider_nobody_listens_for_is_dropped_from_the_cache_at_once()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        for (int i = 0; i < 3; i++)
        {
            await probe.WhoAsync();
        }

        mesh.Providers[0].Transport.Kill();
        var served = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            served.Add(await probe.WhoAsync());
        }

        // Without eviction p0's round-robin slots would all fall to its neighbour (20/10).
        Assert.DoesNotContain("p0", served);
        Assert.InRange(served.Count(s => s == "p1"), 14, 16);
        Assert.Equal(1, mesh.Events.Count(e => e.Kind == MaculaEventKind.Failover));
    }

    [Fact]
    public async Task Hedged_call_takes_the_first_answer_and_cancels_the_slow_attempt()
    {
        await using var mesh = await ProbeMesh.StartAsync(2);
        var slow = mesh.Providers[0].Impl;
        slow.ExtraDelay = TimeSpan.FromSeconds(20);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, HedgeAfter = TimeSpan.FromMilliseconds(100) });

        string served = await probe.SlowAsync(10).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("p1", served);
        await slow.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, slow.Cancellations);
        Assert.Equal(0, mesh.Providers[1].Impl.Cancellations);
    }

    [Fact]
    public async Task Hedging_does_not_wait_for_a_provider_that_drops_the_request()
    {
        await using var mesh = await ProbeMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.DropIncoming = true;
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, Timeout = TimeSpan.FromSeconds(60) })
            .WithOptions(new CallOptions { HedgeAfter = TimeSpan.FromMilliseconds(50) });

        // Without the hedge this call would wait out the 60 s timeout of the first attempt.
        Assert.Equal("p1", await probe.WhoAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Non_idempotent_methods_are_never_hedged()
    {
        await using var mesh = await ProbeMesh.StartAsync(2);
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, HedgeAfter = TimeSpan.FromMilliseconds(20) });

        Assert.Equal("p0", await probe.ChargeAsync(300));
        await Task.Delay(500);
        Assert.Equal(1, mesh.Providers[0].Impl.Charges);
        Assert.Equal(0, mesh.Providers[1].Impl.Charges);
    }

    [Fact]
    public async Task Hedged_attempts_that_both_fail_are_both_recorded()
    {
        await using var mesh = await ProbeMesh.StartAsync(3);
        mesh.Providers[0].Transport.Faults.DropIncoming = true;
        mesh.Providers[1].Transport.Faults.DropIncoming = true;
        var probe = mesh.CreateClient(new ClientOptions { Strategy = SelectionStrategy.First, AttemptTimeout = TimeSpan.FromSeconds(2), HedgeAfter = TimeSpan.FromMilliseconds(50) });

        Assert.Equal("p2", await probe.WhoAsync());
    }
}
