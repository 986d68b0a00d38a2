using Macula.Rpc.Server;
using Macula.Tests.Rpc;

namespace Macula.Tests.Routing;

/// <summary>
/// The local fast path keeps the call pipeline: a call to a provider of the client's own node runs the server filters,
/// carries metadata both ways, and is admitted by the same load shedding as a call from the bus.
/// </summary>
public sealed class LocalPipelineTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>Records what the call carried and answers with metadata of its own.</summary>
    private sealed class EchoTenantFilter : IMaculaServerFilter
    {
        public string? Tenant { get; private set; }

        public string? Caller { get; private set; }

        public int Calls;

        public async ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next)
        {
            Interlocked.Increment(ref Calls);
            Tenant = context.RequestMetadata.GetString("tenant");
            Caller = context.CallerNodeId;
            context.ResponseMetadata.Add("served-by", "local-filter");
            await next(context);
        }
    }

    [Fact]
    public async Task A_local_call_runs_the_server_filters_and_carries_metadata_both_ways()
    {
        await using var mesh = new RoutedMesh();
        var filter = new EchoTenantFilter();
        var self = await mesh.AddProviderAsync("self", new ProviderOptions { Filters = [filter] });
        // Every RPC message over this node's transport is dropped: only the in-process path can answer.
        mesh.Providers["self"].Transport.Faults.Subjects = "macula.*.rpc.>";
        mesh.Providers["self"].Transport.Faults.DropIncoming = true;
        MaculaMetadata? reply = null;
        var client = self.CreateClient<IRouted>(new ClientOptions { MaxAttempts = 1, Timeout = HangGuard })
            .WithOptions(new CallOptions { Metadata = new MaculaMetadata().Add("tenant", "acme"), OnResponseMetadata = m => reply = m });

        Assert.Equal("self", await client.WhoAsync());

        Assert.Equal(1, filter.Calls);
        Assert.Equal("acme", filter.Tenant);
        Assert.Equal("self", filter.Caller);
        Assert.Equal("local-filter", reply?.GetString("served-by"));
    }

    [Fact]
    public async Task A_local_call_beyond_the_providers_limit_is_answered_Overloaded_and_never_runs()
    {
        await using var mesh = await GatedMesh.StartAsync(1, new LoadSheddingOptions { MaxConcurrency = 2, QueueLength = 0 });
        var (node, impl) = mesh.Providers[0];
        impl.InFlightTarget = 2;
        var probe = node.CreateClient<IProbe>(new ClientOptions { Timeout = HangGuard });

        var held = new[] { probe.ChargeAsync(1).AsTask(), probe.ChargeAsync(2).AsTask() };
        await impl.InFlightReached.Task.WaitAsync(HangGuard);
        var shed = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.ChargeAsync(3).AsTask().WaitAsync(HangGuard));

        Assert.Equal(MaculaErrorCode.Overloaded, shed.Code);
        Assert.Equal("p0", Assert.Single(shed.Attempts).NodeId);
        Assert.False(impl.Executions.ContainsKey(3));
        impl.Gate.TrySetResult();
        Assert.All(await Task.WhenAll(held).WaitAsync(HangGuard), s => Assert.Equal("p0", s));
    }
    [Fact]
    public async Task Sequential_local_calls_to_a_provider_with_one_slot_never_find_the_last_calls_slot_still_held()
    {
        // The caller goes on only once the provider has let go of the call's slot: with one slot and no queue, a
        // caller that makes its next call at once would otherwise race the last call's release and be shed.
        await using var mesh = await GatedMesh.StartAsync(1, new LoadSheddingOptions { MaxConcurrency = 1, QueueLength = 0 });
        var (node, impl) = mesh.Providers[0];
        var probe = node.CreateClient<IProbe>(new ClientOptions { MaxAttempts = 1, Timeout = HangGuard });

        for (int i = 0; i < 2_000; i++)
        {
            Assert.Equal("p0", await probe.WhoAsync().AsTask().WaitAsync(HangGuard));
        }

        Assert.Equal(2_000, impl.Calls);
    }

    [Fact]
    public async Task A_local_call_to_a_handler_that_blocks_its_thread_ends_at_the_callers_deadline()
    {
        await using var mesh = await GatedMesh.StartAsync(1, new LoadSheddingOptions { MaxConcurrency = 4, QueueLength = 0 });
        var (node, impl) = mesh.Providers[0];
        var probe = node.CreateClient<IProbe>(new ClientOptions { MaxAttempts = 1, Timeout = TimeSpan.FromMilliseconds(300) });
        try
        {
            var late = await Assert.ThrowsAsync<MaculaRpcException>(() => probe.SlowAsync(0).AsTask().WaitAsync(HangGuard));

            Assert.Equal(MaculaErrorCode.DeadlineExceeded, late.Code);
            Assert.True(impl.BlockedEnough.Task.IsCompleted);
        }
        finally
        {
            impl.Block.Set();
        }
    }

    [Fact]
    public async Task Local_calls_made_by_a_caller_a_local_reply_resumed_run_on_that_thread_without_the_thread_pool()
    {
        await using var mesh = await GatedMesh.StartAsync(1, new LoadSheddingOptions { MaxConcurrency = 4, QueueLength = 0 });
        var (node, impl) = mesh.Providers[0];
        var probe = node.CreateClient<IProbe>(new ClientOptions { MaxAttempts = 1, Timeout = HangGuard });
        int handlerThread = 0;
        impl.OnWho = () => handlerThread = Environment.CurrentManagedThreadId;

        // A first call goes through the pool; its reply resumes this method on the provider's thread (ConfigureAwait
        // false), and each next call is kept there and runs once the loop has yielded the thread. (A reply that comes
        // before its caller awaited resumes nothing: the caller goes on synchronously, so call until one did.)
        for (int i = 0; i < 100 && !LocalTrampoline.IsActiveHere; i++)
        {
            await probe.WhoAsync().ConfigureAwait(false);
        }

        Assert.True(LocalTrampoline.IsActiveHere);
        long keptBefore = LocalTrampoline.Kept;
        var mismatches = 0;
        for (int i = 0; i < 200; i++)
        {
            int caller = Environment.CurrentManagedThreadId;
            Assert.Equal("p0", await probe.WhoAsync().ConfigureAwait(false));
            mismatches += handlerThread == caller ? 0 : 1;
        }

        Assert.Equal(0, mismatches);
        Assert.True(LocalTrampoline.Kept - keptBefore >= 200, $"kept {LocalTrampoline.Kept - keptBefore} of 200 calls");
    }

    [Fact]
    public async Task A_caller_that_blocks_on_a_local_call_it_made_when_a_local_reply_resumed_it_is_still_answered()
    {
        // The call is kept on the very thread that then blocks waiting for it: the watchdog must hand it to the pool,
        // long before the deadline (with the call left kept, this fails DeadlineExceeded after 20 s).
        await using var mesh = await GatedMesh.StartAsync(1, new LoadSheddingOptions { MaxConcurrency = 4, QueueLength = 0 });
        var (node, _) = mesh.Providers[0];
        var probe = node.CreateClient<IProbe>(new ClientOptions { MaxAttempts = 1, Timeout = TimeSpan.FromSeconds(20) });
        long rescuedBefore = LocalTrampoline.Rescued;

        await probe.WhoAsync().ConfigureAwait(false);
        string blocking = WaitSynchronously(probe.WhoAsync().AsTask());

        Assert.Equal("p0", blocking);
        Assert.True(LocalTrampoline.Rescued > rescuedBefore);
    }

    [Fact]
    public async Task A_blocking_handler_kept_on_a_thread_holds_neither_its_caller_past_the_deadline_nor_the_call_kept_behind_it()
    {
        await using var mesh = await GatedMesh.StartAsync(1, new LoadSheddingOptions { MaxConcurrency = 4, QueueLength = 0 });
        var (node, impl) = mesh.Providers[0];
        var probe = node.CreateClient<IProbe>(new ClientOptions { MaxAttempts = 1, Timeout = HangGuard });
        var hasty = node.CreateClient<IProbe>(new ClientOptions { MaxAttempts = 1, Timeout = TimeSpan.FromMilliseconds(300) });
        try
        {
            await probe.WhoAsync().ConfigureAwait(false);

            // Both kept on this thread, the blocking one first: it runs (and blocks) once this method yields.
            var slow = hasty.SlowAsync(0).AsTask();
            var who = probe.WhoAsync().AsTask();
            Assert.Equal("p0", await who.WaitAsync(HangGuard).ConfigureAwait(false));
            var late = await Assert.ThrowsAsync<MaculaRpcException>(() => slow.WaitAsync(HangGuard)).ConfigureAwait(false);

            Assert.Equal(MaculaErrorCode.DeadlineExceeded, late.Code);
            Assert.False(impl.Block.IsSet);
            Assert.True(impl.BlockedEnough.Task.IsCompleted);
        }
        finally
        {
            impl.Block.Set();
        }
    }

    /// <summary>Blocks this thread until <paramref name="task"/> ends: the sync-over-async caller under test, on purpose.</summary>
    private static T WaitSynchronously<T>(Task<T> task) => task.GetAwaiter().GetResult();
}
