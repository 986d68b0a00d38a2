using Xunit.Abstractions;

namespace Macula.Tests.Rpc;

/// <summary>
/// Providers shed load (issue 20, point 5 and the overload probe): a service runs at most its limit of calls at once,
/// a bounded queue waits, the rest is answered Overloaded before it ran, and clients fail over without running a call twice.
/// </summary>
[Collection(Macula.Tests.Rpc.HeavyLoadCollection.Name)]
public sealed class LoadSheddingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Slow_provider_under_2000_callers_runs_exactly_its_limit_queues_at_most_its_bound_and_sheds_the_rest_to_a_second_provider_running_nothing_twice()
    {
        const int callers = 2000;
        const int limit = 8;
        const int queue = 16;
        var shedding = new LoadSheddingOptions { MaxConcurrency = limit, QueueLength = queue, MaxQueueWait = TimeSpan.FromSeconds(60) };
        // The second provider can hold every caller at once.
        await using var mesh = await GatedMesh.StartAsync(2, shedding, new LoadSheddingOptions { MaxConcurrency = callers, QueueLength = 0 });
        var (slowNode, slow) = mesh.Providers[0];
        var fast = mesh.Providers[1].Impl;
        fast.Gate.TrySetResult();

        // First: every call goes to the slow provider first, so it must shed all it cannot hold. ChargeAsync is not
        // idempotent: Overloaded says it did not run, so it may still fail over.
        var probe = mesh.Client.CreateClient<IProbe>(new ClientOptions { Strategy = SelectionStrategy.First, Timeout = HangGuard });
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
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

        // Every call the slow provider could not hold or queue has finished on the fast one.
        await othersDone.Task.WaitAsync(HangGuard);
        var shedIn = clock.Elapsed;
        long heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        output.WriteLine($"MEASURE shed: {callers - limit - queue} of {callers} calls shed and served elsewhere in {shedIn.TotalMilliseconds:0} ms; {limit} held, {queue} queued; heap growth with them pending {heapGrowth / 1024} KiB");

        // A sanity bound only (the exact bounds are the counts below): 24 pending calls hold nothing like this.
        Assert.InRange(heapGrowth, long.MinValue, 256L * 1024 * 1024);
        var gate = slowNode.GateOf("Probe")!;
        Assert.Equal(limit, slow.InFlight);
        Assert.Equal(limit, gate.Running);
        Assert.Equal(queue, gate.Queued);
        Assert.Equal(callers - limit - queue, gate.Shed);

        slow.Gate.TrySetResult();
        var served = await Task.WhenAll(calls).WaitAsync(HangGuard);

        Assert.Equal(limit, slow.MaxInFlight);
        Assert.Equal(limit, gate.PeakRunning);
        Assert.Equal(queue, gate.PeakQueued);
        Assert.Equal(limit + queue, served.Count(s => s == "p0"));
        Assert.Equal(callers - limit - queue, served.Count(s => s == "p1"));
        for (int id = 0; id < callers; id++)
        {
            int runs = slow.Executions.GetValueOrDefault(id) + fast.Executions.GetValueOrDefault(id);
            Assert.True(runs == 1, $"request {id} ran {runs} times");
        }

        // Overloaded is not a failure of the provider: its circuit stays closed.
        Assert.DoesNotContain(mesh.ClientEvents, e => e.Kind == MaculaEventKind.CircuitChanged);
        Assert.Equal(0, gate.Running);
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task A_handler_that_blocks_its_thread_does_not_stall_an_instant_method_of_the_same_service()
    {
        await using var mesh = await GatedMesh.StartAsync(1, LoadSheddingOptions.Default);
        var impl = mesh.Providers[0].Impl;
        impl.BlockedTarget = 2;
        var probe = mesh.Client.CreateClient<IProbe>(new ClientOptions { Timeout = HangGuard });

        var blocked = new[] { probe.SlowAsync(0).AsTask(), probe.SlowAsync(0).AsTask() };
        await impl.BlockedEnough.Task.WaitAsync(HangGuard);

        // Both blocking handlers hold their threads now; the instant method must still be delivered and answered.
        Assert.Equal("p0", await probe.WhoAsync().AsTask().WaitAsync(HangGuard));
        Assert.All(blocked, t => Assert.False(t.IsCompleted));

        impl.Block.Set();
        Assert.All(await Task.WhenAll(blocked).WaitAsync(HangGuard), s => Assert.Equal("p0", s));
    }

    [Fact]
    public async Task A_cancelled_handler_that_ignores_its_token_keeps_its_slot_until_it_returns()
    {
        var shedding = new LoadSheddingOptions { MaxConcurrency = 2, QueueLength = 0 };
        await using var mesh = await GatedMesh.StartAsync(1, shedding);
        var (node, impl) = mesh.Providers[0];
        impl.InFlightTarget = 2;
        var probe = mesh.Client.CreateClient<IProbe>(new ClientOptions { Timeout = HangGuard });

        using var cancel = new CancellationTokenSource();
        var first = probe.ChargeAsync(1, cancel.Token).AsTask();
        var second = probe.ChargeAsync(2, cancel.Token).AsTask();
        await impl.InFlightReached.Task.WaitAsync(HangGuard);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);

        // The callers gave up and the provider cancelled their tokens, but the handlers still run: no slot is free.
        var shed = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.ChargeAsync(3).AsTask().WaitAsync(HangGuard));
        Assert.Equal(MaculaErrorCode.Overloaded, shed.Code);
        Assert.Equal(MaculaErrorCode.Overloaded, Assert.Single(shed.Attempts).Code);
        Assert.Equal(2, node.GateOf("Probe")!.Running);
        Assert.False(impl.Executions.ContainsKey(3));

        // Only when they return are their slots free.
        impl.Gate.TrySetResult();
        await UntilAsync(() => node.GateOf("Probe")!.Running == 0);
        Assert.Equal(7, await probe.AddAsync(3, 4).AsTask().WaitAsync(HangGuard));
        Assert.Equal(2, impl.MaxInFlight);
    }

    /// <summary>Waits for a state the code reaches on its own (no event to await), checking it until the hang guard.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        var giveUp = DateTime.UtcNow + HangGuard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < giveUp, "the condition was not reached");
            await Task.Yield();
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task A_queued_call_whose_wait_runs_out_is_answered_Overloaded_and_never_runs()
    {
        var shedding = new LoadSheddingOptions { MaxConcurrency = 1, QueueLength = 1, MaxQueueWait = TimeSpan.FromMilliseconds(50) };
        await using var mesh = await GatedMesh.StartAsync(1, shedding);
        var (node, impl) = mesh.Providers[0];
        impl.InFlightTarget = 1;
        var probe = mesh.Client.CreateClient<IProbe>(new ClientOptions { Timeout = HangGuard });

        var holding = probe.ChargeAsync(1).AsTask();
        await impl.InFlightReached.Task.WaitAsync(HangGuard);
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.ChargeAsync(2).AsTask().WaitAsync(HangGuard));

        Assert.Equal(MaculaErrorCode.Overloaded, ex.Code);
        Assert.Contains("MaxQueueWait", ex.Attempts[0].Message);
        Assert.False(impl.Executions.ContainsKey(2));
        Assert.Equal(1, node.GateOf("Probe")!.PeakQueued);

        impl.Gate.TrySetResult();
        Assert.Equal("p0", await holding.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task A_queued_call_cancelled_by_its_caller_never_runs()
    {
        var shedding = new LoadSheddingOptions { MaxConcurrency = 1, QueueLength = 1, MaxQueueWait = TimeSpan.FromSeconds(60) };
        await using var mesh = await GatedMesh.StartAsync(1, shedding);
        var (node, impl) = mesh.Providers[0];
        impl.InFlightTarget = 1;
        var probe = mesh.Client.CreateClient<IProbe>(new ClientOptions { Timeout = HangGuard });
        var gate = node.GateOf("Probe")!;

        var holding = probe.ChargeAsync(1).AsTask();
        await impl.InFlightReached.Task.WaitAsync(HangGuard);
        using var cancel = new CancellationTokenSource();
        var queued = probe.ChargeAsync(2, cancel.Token).AsTask();
        await UntilAsync(() => gate.Queued == 1);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);

        // The provider reads its messages in order: once a later call was shed, it has read the cancel.
        var shed = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.ChargeAsync(3).AsTask().WaitAsync(HangGuard));
        Assert.Equal(MaculaErrorCode.Overloaded, shed.Code);

        impl.Gate.TrySetResult();
        Assert.Equal("p0", await holding.WaitAsync(HangGuard));
        await UntilAsync(() => gate.Running == 0 && gate.Queued == 0);
        Assert.False(impl.Executions.ContainsKey(2));
        Assert.Equal([1], impl.Executions.Keys);
    }

    [Fact]
    public async Task A_method_limit_sheds_that_method_beyond_it_while_other_methods_of_the_service_are_served()
    {
        var shedding = new LoadSheddingOptions { MethodLimits = new Dictionary<string, int> { ["Probe/ChargeAsync"] = 1 } };
        await using var mesh = await GatedMesh.StartAsync(1, shedding);
        var (node, impl) = mesh.Providers[0];
        impl.InFlightTarget = 1;
        var probe = mesh.Client.CreateClient<IProbe>(new ClientOptions { Timeout = HangGuard });

        var holding = probe.ChargeAsync(1).AsTask();
        await impl.InFlightReached.Task.WaitAsync(HangGuard);
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.ChargeAsync(2).AsTask().WaitAsync(HangGuard));
        Assert.Equal(MaculaErrorCode.Overloaded, ex.Code);
        Assert.Contains("MethodLimits", ex.Attempts[0].Message);
        Assert.False(impl.Executions.ContainsKey(2));
        Assert.Equal("p0", await probe.WhoAsync().AsTask().WaitAsync(HangGuard));

        impl.Gate.TrySetResult();
        Assert.Equal("p0", await holding.WaitAsync(HangGuard));
        Assert.Equal(0, node.GateOf("Probe")!.Shed); // the method's limit shed it, not the service's
    }

    [Fact]
    public async Task A_method_limit_naming_a_method_the_service_lacks_fails_ProvideAsync_naming_it()
    {
        var network = new Macula.Transport.InMemory.InMemoryNetwork();
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions
        {
            Transport = network.CreateTransport(),
            LoadShedding = new LoadSheddingOptions { MethodLimits = new Dictionary<string, int> { ["Probe/NoSuchAsync"] = 1 } },
        });

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => node.ProvideAsync<IProbe>(new GatedProbe("p")));
        Assert.Contains("'Probe/NoSuchAsync'", ex.Message);
    }

    [Fact]
    public async Task Calls_beyond_the_limit_and_a_queue_of_zero_are_refused_at_once()
    {
        var gate = new Macula.Rpc.Server.ConcurrencyGate("S", "n", new LoadSheddingOptions { MaxConcurrency = 2, QueueLength = 0 }, TimeProvider.System);

        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Run, gate.TryEnter(out _));
        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Run, gate.TryEnter(out _));
        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Shed, gate.TryEnter(out _));
        gate.Exit();
        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Run, gate.TryEnter(out _));
        Assert.Equal(1, gate.Shed);
        Assert.Equal(2, gate.PeakRunning);
    }

    [Fact]
    public async Task A_freed_slot_goes_to_the_first_queued_call_in_arrival_order()
    {
        var gate = new Macula.Rpc.Server.ConcurrencyGate("S", "n", new LoadSheddingOptions { MaxConcurrency = 1, QueueLength = 2, MaxQueueWait = TimeSpan.FromMinutes(1) }, TimeProvider.System);
        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Run, gate.TryEnter(out _));
        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Queued, gate.TryEnter(out var first));
        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Queued, gate.TryEnter(out var second));
        Assert.Equal(Macula.Rpc.Server.ConcurrencyGate.Admission.Shed, gate.TryEnter(out _));

        gate.Exit();
        Assert.True(await first!.WaitAsync(HangGuard));
        Assert.False(second!.IsCompleted);
        Assert.Equal(1, gate.Running);
        Assert.Equal(1, gate.Queued);

        gate.ShedQueued();
        Assert.False(await second.WaitAsync(HangGuard));
        Assert.Equal(0, gate.Queued);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, -1, 1)]
    [InlineData(1, 0, -1)]
    [InlineData(65537, 0, 1)]
    [InlineData(1, 65537, 1)]
    [InlineData(1, 0, 61_000)]
    public void Load_shedding_options_out_of_range_are_refused_naming_the_option(int limit, int queue, int waitMs)
    {
        var options = new MaculaNodeOptions
        {
            Transport = new Macula.Transport.InMemory.InMemoryNetwork().CreateTransport(),
            LoadShedding = new LoadSheddingOptions { MaxConcurrency = limit, QueueLength = queue, MaxQueueWait = TimeSpan.FromMilliseconds(waitMs) },
        };

        var ex = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains("LoadSheddingOptions.", ex.Message);
    }

    [Theory]
    [InlineData("NoSlash", 1)]
    [InlineData("/Method", 1)]
    [InlineData("Service/", 1)]
    [InlineData("Service/Method", 0)]
    public void Method_limits_with_a_bad_key_or_value_are_refused_naming_the_option(string key, int limit)
    {
        var options = new MaculaNodeOptions
        {
            Transport = new Macula.Transport.InMemory.InMemoryNetwork().CreateTransport(),
            LoadShedding = new LoadSheddingOptions { MethodLimits = new Dictionary<string, int> { [key] = limit } },
        };

        var ex = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains("LoadSheddingOptions.MethodLimits", ex.Message);
    }

    [Fact]
    public void The_default_limit_comes_from_the_processor_count()
    {
        Assert.Equal(Environment.ProcessorCount * 32, LoadSheddingOptions.Default.MaxConcurrency);
        Assert.Equal(Environment.ProcessorCount * 32, LoadSheddingOptions.Default.QueueLength);
        Assert.Equal(TimeSpan.FromSeconds(1), LoadSheddingOptions.Default.MaxQueueWait);
        Assert.Same(LoadSheddingOptions.Default, new MaculaNodeOptions().LoadShedding);
    }

    [Fact]
    public void Overload_backoff_doubles_with_full_jitter_and_is_bounded_by_its_maximum_and_the_attempt_timeout()
    {
        var timeout = TimeSpan.FromSeconds(30);
        Assert.Equal(TimeSpan.Zero, Macula.Rpc.Client.ServiceClient.OverloadBackoff(1, timeout, 0));
        Assert.Equal(20, Macula.Rpc.Client.ServiceClient.OverloadBackoff(1, timeout, 0.999999).TotalMilliseconds, 0);
        Assert.Equal(40, Macula.Rpc.Client.ServiceClient.OverloadBackoff(2, timeout, 0.999999).TotalMilliseconds, 0);
        Assert.Equal(1000, Macula.Rpc.Client.ServiceClient.OverloadBackoff(30, timeout, 0.999999).TotalMilliseconds, 0);
        Assert.Equal(25, Macula.Rpc.Client.ServiceClient.OverloadBackoff(30, TimeSpan.FromMilliseconds(100), 0.999999).TotalMilliseconds, 0);
        Assert.Equal(10, Macula.Rpc.Client.ServiceClient.OverloadBackoff(2, timeout, 0.25).TotalMilliseconds, 3);
    }

    [Fact]
    public async Task Sequential_calls_to_a_provider_with_one_slot_and_no_queue_are_never_shed()
    {
        // The slot is given back when the implementation returns, before the reply goes out: a caller that calls again
        // as soon as it has its reply never meets the slot of its own last call.
        await using var mesh = await GatedMesh.StartAsync(1, new LoadSheddingOptions { MaxConcurrency = 1, QueueLength = 0 });
        var (_, impl) = mesh.Providers[0];
        var probe = mesh.Client.CreateClient<IProbe>(new ClientOptions { MaxAttempts = 1, Timeout = HangGuard });

        for (int i = 0; i < 2_000; i++)
        {
            Assert.Equal("p0", await probe.WhoAsync().AsTask().WaitAsync(HangGuard));
        }

        Assert.Equal(2_000, impl.Calls);
    }
}

/// <summary>Tests that load the machine on purpose (thousands of calls at once) run alone, so they cannot make another test's timeout.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyLoadCollection
{
    public const string Name = "Heavy load";
}
