using System.Collections.Concurrent;
using System.Diagnostics;

namespace Macula.Tests.Routing;

/// <summary>The local fast path: a client calling a provider of its own node, without the transport.</summary>
public sealed class LocalCallTests
{
    [Fact]
    public async Task A_local_call_cannot_leak_a_mutation_either_way()
    {
        await using var mesh = new RoutedMesh();
        var self = await mesh.AddProviderAsync("self");
        var client = self.CreateClient<IRouted>();
        var mine = new Basket { Items = ["mine"], Owner = "me" };

        var result = await client.FillAsync(mine);

        Assert.Equal(["mine"], mine.Items);
        Assert.Equal("me", mine.Owner);
        Assert.Equal(["mine", "from self"], result.Items);
        Assert.Equal("self", result.Owner);
        var seen = mesh.Providers["self"].Impl.Seen;
        Assert.NotNull(seen);
        Assert.NotSame(mine, seen);
        Assert.NotSame(seen, result);

        // The handler's object changing afterwards does not reach the caller's result.
        seen!.Items.Add("later");
        Assert.Equal(2, result.Items.Count);
    }

    [Fact]
    public async Task A_local_call_does_not_use_the_transport()
    {
        await using var mesh = new RoutedMesh();
        var self = await mesh.AddProviderAsync("self");
        var transport = mesh.Providers["self"].Transport;

        // Every RPC message over this node's transport is now dropped: only an in-process call can answer.
        transport.Faults.Subjects = "macula.*.rpc.>";
        transport.Faults.DropIncoming = true;
        var client = self.CreateClient<IRouted>(new ClientOptions { Timeout = TimeSpan.FromSeconds(30), MaxAttempts = 1 });

        Assert.Equal("self", await client.WhoAsync());
        Assert.Equal(1, mesh.Providers["self"].Impl.Calls);
    }

    [Fact]
    public async Task A_local_call_keeps_its_attempt_and_server_spans()
    {
        var stopped = new ConcurrentQueue<Activity>();
        var serverStopped = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MaculaDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                stopped.Enqueue(a);

                // The server span ends after the reply is handed over, so it may stop after the call has returned.
                if (a.Kind == ActivityKind.Server && (string?)a.GetTagItem("macula.node_id") == "self-spans")
                {
                    serverStopped.TrySetResult(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        // The listener hears every test running in parallel: a node id no other test uses tells this test's spans apart.
        await using var mesh = new RoutedMesh();
        var self = await mesh.AddProviderAsync("self-spans");

        Assert.Equal("self-spans", await self.CreateClient<IRouted>().WhoAsync());

        var attempt = Assert.Single(stopped, a => a.DisplayName == MaculaDiagnostics.Spans.Attempt && (string?)a.GetTagItem("macula.provider.selected") == "self-spans");
        Assert.Equal(true, attempt.GetTagItem("macula.local"));
        var server = await serverStopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("Routed/WhoAsync", server.DisplayName);
        Assert.Equal(attempt.TraceId, server.TraceId);
        Assert.Equal(attempt.SpanId, server.ParentSpanId);
    }

    [Fact]
    public async Task PreferLocal_calls_the_local_provider_and_fails_over_to_a_remote_one_when_it_is_disposed()
    {
        await using var mesh = new RoutedMesh();
        var self = await mesh.AddProviderAsync("self");
        await mesh.AddProviderAsync("remote");
        var client = self.CreateClient<IRouted>(new ClientOptions { PreferLocal = true });

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal("self", await client.WhoAsync());
        }

        await mesh.Providers["self"].Registration.DisposeAsync();

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal("remote", await client.WhoAsync());
        }

        Assert.Equal(10, mesh.Providers["self"].Impl.Calls);
        Assert.Equal(10, mesh.Providers["remote"].Impl.Calls);
    }

    [Fact]
    public async Task An_application_error_of_a_local_provider_reaches_the_caller_as_a_remote_exception()
    {
        await using var mesh = new RoutedMesh();
        var self = await mesh.AddProviderAsync("self");

        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(() => self.CreateClient<IRouted>().FillAsync(null!));

        Assert.Equal("self", ex.NodeId);
    }
}
