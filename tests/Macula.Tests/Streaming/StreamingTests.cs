namespace Macula.Tests.Streaming;

/// <summary>Server streams across an in-memory mesh: order, flow control, cancellation, failures.</summary>
public sealed class StreamingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Hundred_thousand_items_arrive_in_order_none_lost_or_duplicated()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient();

        int expected = 0;
        await foreach (int item in probe.CountAsync(100_000).WithCancellation(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token))
        {
            Assert.Equal(expected, item);
            expected++;
        }

        Assert.Equal(100_000, expected);
        Assert.Equal(1, mesh.Providers[0].Impl.Opened);
        Assert.False(await mesh.Providers[0].Impl.Ended.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Empty_stream_ends_at_once()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient();

        Assert.Empty(await probe.CountAsync(0).ToListAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(1, mesh.Providers[0].Impl.Opened);
    }

    [Fact]
    public async Task Slow_consumer_keeps_the_producer_within_the_window()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient(window: 8);

        int expected = 0;
        await foreach (int item in probe.CountAsync(200))
        {
            Assert.Equal(expected++, item);
            await Task.Delay(1);
            mesh.Ledger.OnConsumed();
        }

        Assert.Equal(200, expected);
        Assert.InRange(mesh.Ledger.MaxAhead, 1, 8);
    }

    [Fact]
    public async Task Stalled_consumer_stops_the_producer_at_the_window()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient(window: 16);
        var ledger = mesh.Ledger;

        await using var stream = probe.ForeverAsync().GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());

        // The consumer holds item 0 and asks for nothing more: the provider may run 16 items ahead, and no further.
        await WaitUntilAsync(() => ledger.Produced >= 16);
        await Task.Delay(300);
        Assert.Equal(16, ledger.Produced);

        // Finishing items grants credit again.
        for (int i = 1; i <= 40; i++)
        {
            ledger.OnConsumed();
            Assert.True(await stream.MoveNextAsync());
            Assert.Equal(i, stream.Current);
        }

        Assert.InRange(ledger.MaxAhead, 16, 16);
    }

    [Fact]
    public async Task Breaking_out_stops_the_providers_enumeration()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient();
        var impl = mesh.Providers[0].Impl;

        int seen = 0;
        await foreach (int item in probe.ForeverAsync())
        {
            if (++seen == 5)
            {
                break;
            }
        }

        Assert.True(await impl.Ended.Task.WaitAsync(Bound), "the implementation's enumerator token did not fire");
    }

    [Fact]
    public async Task Cancelling_the_caller_stops_the_stream_and_the_provider()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient();
        var impl = mesh.Providers[0].Impl;
        using var cts = new CancellationTokenSource();

        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int item in probe.ForeverAsync(cts.Token))
            {
                if (++seen == 3)
                {
                    cts.Cancel();
                }
            }
        }).WaitAsync(Bound);

        Assert.Equal(3, seen);
        Assert.True(await impl.Ended.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Exception_mid_stream_arrives_after_the_items_already_sent()
    {
        await using var mesh = await StreamMesh.StartAsync(2, includeErrorDetails: true);
        var probe = mesh.CreateClient();

        var items = new List<int>();
        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(async () =>
        {
            await foreach (int item in probe.FailAfterAsync(3, "boom"))
            {
                items.Add(item);
            }
        }).WaitAsync(Bound);

        Assert.Equal([0, 1, 2], items);
        Assert.Equal("System.InvalidOperationException", ex.RemoteType);
        Assert.Equal("boom", ex.RemoteMessage);
        Assert.Equal("p0", ex.NodeId);
        Assert.Equal(1, mesh.Providers[0].Impl.Opened);
        Assert.Equal(0, mesh.Providers[1].Impl.Opened);
    }

    [Fact]
    public async Task Exception_mid_stream_arrives_without_its_type_and_message_unless_the_provider_opts_in()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient();

        var items = new List<int>();
        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(async () =>
        {
            await foreach (int item in probe.FailAfterAsync(2, "secret detail"))
            {
                items.Add(item);
            }
        }).WaitAsync(Bound);

        Assert.Equal([0, 1], items);
        Assert.Equal(MaculaErrorCode.ApplicationError, ex.Code);
        Assert.Equal("", ex.RemoteType);
        Assert.DoesNotContain("secret detail", ex.Message, StringComparison.Ordinal);
        Assert.Contains("withholds", ex.RemoteMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provider_killed_mid_stream_ends_it_with_a_timeout_and_no_restart_elsewhere()
    {
        await using var mesh = await StreamMesh.StartAsync(2);
        var probe = mesh.CreateClient(idle: TimeSpan.FromSeconds(1));

        var items = new List<int>();
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(async () =>
        {
            await foreach (int item in probe.ForeverAsync())
            {
                items.Add(item);
                if (items.Count == 10)
                {
                    mesh.Providers[0].Transport.Kill();
                }
            }
        }).WaitAsync(Bound);

        Assert.Equal(MaculaErrorCode.Timeout, ex.Code);
        Assert.Equal(Enumerable.Range(0, items.Count), items);
        Assert.Equal(1, mesh.Providers[0].Impl.Opened);
        Assert.Equal(0, mesh.Providers[1].Impl.Opened);
    }

    [Fact]
    public async Task Opening_fails_over_past_a_provider_that_has_no_responders()
    {
        await using var mesh = await StreamMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.Subjects = "macula.*.rpc.>";
        mesh.Providers[0].Transport.Faults.NoResponders = true;
        var probe = mesh.CreateClient();

        Assert.Equal(Enumerable.Range(0, 1000), await probe.CountAsync(1000).ToListAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(0, mesh.Providers[0].Impl.Opened);
        Assert.Equal(1, mesh.Providers[1].Impl.Opened);
    }

    // The call timeout (10 minutes) is far beyond the hang guard: only the open timeout can end these attempts in time.
    [Fact]
    public async Task Open_that_is_never_acknowledged_fails_over_after_the_open_timeout()
    {
        await using var mesh = await StreamMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.Subjects = "macula.*.rpc.>";
        mesh.Providers[0].Transport.Faults.DropIncoming = true;
        var probe = mesh.CreateClient(openTimeout: TimeSpan.FromMilliseconds(200), timeout: TimeSpan.FromMinutes(10));

        // Strategy First tries p0, which swallows the open (it got it and died, as far as the client can tell).
        Assert.Equal(Enumerable.Range(0, 100), await probe.CountAsync(100).ToListAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(0, mesh.Providers[0].Impl.Opened);
        Assert.Equal(1, mesh.Providers[1].Impl.Opened);
    }

    [Fact]
    public async Task Open_acknowledged_by_no_provider_lists_every_attempt_as_a_timeout()
    {
        await using var mesh = await StreamMesh.StartAsync(2);
        foreach (var provider in mesh.Providers)
        {
            provider.Transport.Faults.Subjects = "macula.*.rpc.>";
            provider.Transport.Faults.DropIncoming = true;
        }

        var probe = mesh.CreateClient(openTimeout: TimeSpan.FromMilliseconds(200), timeout: TimeSpan.FromMinutes(10));
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.CountAsync(10).ToListAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(MaculaErrorCode.AllProvidersFailed, ex.Code);
        Assert.Equal(["p0", "p1"], ex.Attempts.Select(a => a.NodeId));
        Assert.All(ex.Attempts, a => Assert.Equal(MaculaErrorCode.Timeout, a.Code));
    }

    [Fact]
    public async Task Open_of_a_non_idempotent_stream_that_is_never_acknowledged_is_not_retried()
    {
        await using var mesh = await StreamMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.Subjects = "macula.*.rpc.>";
        mesh.Providers[0].Transport.Faults.DropIncoming = true;
        var probe = mesh.CreateClient(openTimeout: TimeSpan.FromMilliseconds(200), timeout: TimeSpan.FromMinutes(10));

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.OnceAsync(10).ToListAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(MaculaErrorCode.Timeout, ex.Code);
        var attempt = Assert.Single(ex.Attempts);
        Assert.Equal("p0", attempt.NodeId);
        Assert.Equal(0, mesh.Providers[1].Impl.Opened);
    }

    [Fact]
    public async Task Open_of_a_non_idempotent_stream_fails_over_past_no_responders()
    {
        await using var mesh = await StreamMesh.StartAsync(2);
        mesh.Providers[0].Transport.Faults.Subjects = "macula.*.rpc.>";
        mesh.Providers[0].Transport.Faults.NoResponders = true;
        var probe = mesh.CreateClient(openTimeout: TimeSpan.FromMilliseconds(200), timeout: TimeSpan.FromMinutes(10));

        Assert.Equal(Enumerable.Range(0, 10), await probe.OnceAsync(10).ToListAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(1, mesh.Providers[1].Impl.Opened);
    }

    [Fact]
    public async Task No_provider_at_all_raises_ServiceNotFound_on_the_first_move()
    {
        await using var mesh = await StreamMesh.StartAsync(0);
        var probe = mesh.CreateClient();

        var stream = probe.CountAsync(3);
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(async () => await stream.ToListAsync());
        Assert.Equal(MaculaErrorCode.ServiceNotFound, ex.Code);
    }

    [Fact]
    public async Task Heartbeats_keep_a_slow_but_alive_stream_open_past_the_idle_timeout()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient(idle: TimeSpan.FromMilliseconds(1500));

        // Items come 2.5 s apart, longer than the idle timeout; heartbeats (every 0.5 s both ways) keep both sides sure.
        Assert.Equal([0, 1], await probe.SlowAsync(2, 2500).ToListAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task Provider_stops_a_stream_whose_client_vanished()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient(window: 4, idle: TimeSpan.FromSeconds(1));
        var impl = mesh.Providers[0].Impl;

        var stream = probe.ForeverAsync().GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());
        mesh.ClientTransport.Kill();

        // No more acknowledgements or heartbeats: the provider gives up after the client's idle timeout.
        Assert.True(await impl.Ended.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Calling_a_stream_as_an_ordinary_method_is_a_bad_request()
    {
        await using var mesh = await StreamMesh.StartAsync(1);

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => mesh.Client.InvokeAsync("StreamProbe", "CountAsync", new byte[] { 0x91, 0x03 }));
        Assert.Equal(MaculaErrorCode.BadRequest, Assert.Single(ex.Attempts).Code);
        Assert.Equal(0, mesh.Providers[0].Impl.Opened);
    }

    [Fact]
    public async Task Ordinary_calls_and_streams_share_a_service_and_a_client_made_before_the_node_started()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var deferred = MaculaNode.CreateClient<IStreamProbe>(Task.FromResult(mesh.Client));

        Assert.Equal("p0", await deferred.WhoAsync());
        Assert.Equal([0, 1, 2, 3], await deferred.CountAsync(4).ToListAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task Provider_shutting_down_ends_a_stream_in_flight_with_an_error()
    {
        await using var mesh = await StreamMesh.StartAsync(1);
        var probe = mesh.CreateClient(window: 4);

        await using var stream = probe.ForeverAsync().GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());
        var stopping = mesh.Providers[0].Node.DisposeAsync().AsTask();

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(async () =>
        {
            while (await stream.MoveNextAsync())
            {
            }
        }).WaitAsync(Bound);
        Assert.Equal(MaculaErrorCode.Cancelled, ex.Code);
        await stopping.WaitAsync(Bound);
    }

    [Fact]
    public void Stream_options_are_validated_with_the_option_named()
    {
        var never = new TaskCompletionSource<MaculaNode>().Task;
        var window = Assert.Throws<ArgumentOutOfRangeException>(() => MaculaNode.CreateClient<IStreamProbe>(never, new ClientOptions { Streams = new StreamOptions { Window = 0 } }));
        Assert.Contains("StreamOptions.Window", window.Message);
        var idle = Assert.Throws<ArgumentOutOfRangeException>(() => MaculaNode.CreateClient<IStreamProbe>(never, new ClientOptions { Streams = new StreamOptions { IdleTimeout = TimeSpan.Zero } }));
        Assert.Contains("StreamOptions.IdleTimeout", idle.Message);
        var open = Assert.Throws<ArgumentOutOfRangeException>(() => MaculaNode.CreateClient<IStreamProbe>(never, new ClientOptions { Streams = new StreamOptions { OpenTimeout = TimeSpan.FromMilliseconds(1) } }));
        Assert.Contains("StreamOptions.OpenTimeout", open.Message);
        Assert.NotNull(MaculaNode.CreateClient<IStreamProbe>(never, new ClientOptions { Streams = new StreamOptions { Window = 65536, IdleTimeout = TimeSpan.FromMinutes(5) } }));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(10);
        }
    }
}
