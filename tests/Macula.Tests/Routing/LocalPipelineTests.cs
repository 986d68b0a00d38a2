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
}
