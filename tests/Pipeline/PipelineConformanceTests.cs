using System.Collections.Concurrent;
using Macula.Transport;

namespace Macula.Testing.Pipeline;

/// <summary>
/// The call pipeline on every transport (issue 20): metadata both ways, the server call context, deadlines that bound
/// the whole call and travel to a second hop, deadline expiry told apart from cancellation, and client and server
/// filters (auth, logging, retry budget, short-circuits). A transport's test project links <c>tests/Pipeline/*.cs</c>
/// and derives one class that says how to make a transport on the bus the tests share.
/// </summary>
public abstract class PipelineConformanceTests : IAsyncLifetime
{
    /// <summary>A hang guard only: what should happen at once gets this long on a loaded machine.</summary>
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static readonly byte[] WaitForever = [0x91, 0xcd, 0xea, 0x60]; // [60000]

    private readonly List<IAsyncDisposable> _owned = [];

    protected string Realm { get; } = "pl" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A new transport on the bus the tests of the class share, not yet connected.</summary>
    protected abstract IMaculaTransport CreateTransport();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    protected async Task<MaculaNode> StartNodeAsync(string nodeId, Func<MaculaNodeOptions, MaculaNodeOptions>? configure = null)
    {
        var options = new MaculaNodeOptions { Realm = Realm, NodeId = nodeId, Transport = CreateTransport(), IncludeErrorDetails = true };
        var node = await MaculaNode.StartAsync(configure is null ? options : configure(options));
        _owned.Add(node);
        return node;
    }

    /// <summary>A back node, a front node that calls it, and a client node.</summary>
    private async Task<(MaculaNode Client, PipeRecorder Front, PipeRecorder Back)> TwoHopsAsync(ProviderOptions? frontOptions = null)
    {
        var backRecorder = new PipeRecorder();
        var back = await StartNodeAsync("back");
        _owned.Add(await back.ProvideAsync<IPipeBack>(new PipeBack("back", backRecorder)));
        var frontRecorder = new PipeRecorder();
        var front = await StartNodeAsync("front");
        var impl = new PipeFront("front", front.CreateClient<IPipeBack>(), frontRecorder);
        _owned.Add(await front.ProvideAsync<IPipeFront>(impl, frontOptions ?? ProviderOptions.Default));
        return (await StartNodeAsync("client"), frontRecorder, backRecorder);
    }

    private async Task<IMaculaTransport> RawTransportAsync()
    {
        var transport = CreateTransport();
        await transport.ConnectAsync();
        _owned.Add(transport);
        return transport;
    }

    private string Rpc(string service, string nodeId) => $"macula.{Realm}.rpc.{service}.{nodeId}";

    // ---- metadata and the call context ----

    [Fact]
    public async Task Metadata_round_trips_string_and_binary_values_and_the_reply_metadata_reaches_the_client()
    {
        var (client, front, _) = await TwoHopsAsync();
        MaculaMetadata? reply = null;
        var metadata = new MaculaMetadata().Add("tenant", "acme").Add("blob-bin", new byte[] { 0, 1, 0xff, (byte)'\n' });
        var proxy = client.CreateClient<IPipeFront>().WithOptions(new CallOptions { Metadata = metadata, OnResponseMetadata = m => reply = m });

        string described = await proxy.DescribeAsync();

        Assert.Equal("PipeFront/DescribeAsync caller=client attempt=1 deadline=set tenant=acme blob=0001FF0A", described);
        Assert.NotNull(reply);
        Assert.Equal("front", reply!.GetString("Served-By"));
        Assert.Equal(new byte[] { 0, 1, 0xff, (byte)'\n' }, reply.GetBytes("echo-bin")!.Value.ToArray());
        Assert.Equal(1, front.Calls);
    }

    [Theory]
    [InlineData("Macula-Method")]
    [InlineData("macula-meta-x")]
    [InlineData("Nats-Msg-Id")]
    [InlineData("traceparent")]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("a:b")]
    [InlineData("line\nbreak")]
    [InlineData("k12345678901234567890123456789012345678901234567890123456789012345")]
    public void Reserved_or_malformed_metadata_keys_are_refused_naming_the_key(string key)
    {
        var ex = Assert.Throws<ArgumentException>(() => new MaculaMetadata().Add(key, "v"));
        Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_values_and_binary_keys_are_checked()
    {
        Assert.Contains("'x'", Assert.Throws<ArgumentException>(() => new MaculaMetadata().Add("x", "a\r\nInjected: 1")).Message, StringComparison.Ordinal);
        Assert.Contains("-bin", Assert.Throws<ArgumentException>(() => new MaculaMetadata().Add("x", new byte[] { 1 })).Message, StringComparison.Ordinal);
        Assert.Contains("bytes", Assert.Throws<ArgumentException>(() => new MaculaMetadata().Add("x-bin", "text")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_metadata_is_refused_at_the_call_and_nothing_is_sent()
    {
        var (client, front, _) = await TwoHopsAsync();
        var big = new MaculaMetadata().Add("big", new string('x', 9000));
        var proxy = client.CreateClient<IPipeFront>();

        var ex = Assert.Throws<ArgumentException>(() => proxy.WithOptions(new CallOptions { Metadata = big }));
        Assert.Contains("CallOptions.Metadata", ex.Message, StringComparison.Ordinal);

        // Grown past the limit by a filter: refused when the call is sent, still nothing on the wire.
        var growing = client.CreateClient<IPipeFront>(new ClientOptions { Filters = [new AddMetadataFilter("big", new string('y', 9000))] });
        await Assert.ThrowsAsync<ArgumentException>(() => growing.EchoAsync("x"));
        Assert.Equal(0, front.Calls);
    }

    [Fact]
    public async Task A_handler_without_a_token_parameter_is_stopped_by_the_context_token_at_the_deadline()
    {
        var (client, front, _) = await TwoHopsAsync();
        var proxy = client.CreateClient<IPipeFront>(new ClientOptions { Timeout = TimeSpan.FromMilliseconds(500) });

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.WaitForContextTokenAsync());

        Assert.Equal(MaculaErrorCode.DeadlineExceeded, ex.Code);
        await front.Cancelled.Task.WaitAsync(Wait);
        Assert.Null(MaculaCallContext.Current);
    }

    // ---- deadlines ----

    [Fact]
    public async Task The_deadline_and_the_cancellation_travel_to_the_second_hop()
    {
        var (client, front, back) = await TwoHopsAsync();
        var proxy = client.CreateClient<IPipeFront>(new ClientOptions { Timeout = TimeSpan.FromMilliseconds(800) });

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.RelayAsync(60_000, detached: false));

        Assert.Equal(MaculaErrorCode.DeadlineExceeded, ex.Code);
        await back.Cancelled.Task.WaitAsync(Wait);
        // Without propagation the back call would have had the default 30 s.
        Assert.True(back.RemainingAtStart.Single() <= TimeSpan.FromMilliseconds(800), $"back had {back.RemainingAtStart.Single()} left");
        Assert.Equal("front", back.Contexts.Single().CallerNodeId);
    }

    [Fact]
    public async Task Cancelling_the_caller_cancels_the_second_hop_too()
    {
        var (client, front, back) = await TwoHopsAsync();
        var proxy = client.CreateClient<IPipeFront>();
        using var cts = new CancellationTokenSource();

        var call = proxy.RelayAsync(60_000, detached: false, cts.Token);
        await back.Started.Task.WaitAsync(Wait);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await back.Cancelled.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_call_that_opts_out_does_not_inherit_the_deadline()
    {
        var (client, _, back) = await TwoHopsAsync();
        var proxy = client.CreateClient<IPipeFront>(new ClientOptions { Timeout = TimeSpan.FromMilliseconds(800) });

        await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.RelayAsync(60_000, detached: true));

        await back.Started.Task.WaitAsync(Wait);
        Assert.True(back.RemainingAtStart.Single() > TimeSpan.FromSeconds(10), $"back had {back.RemainingAtStart.Single()} left");
    }

    [Fact]
    public async Task The_timeout_bounds_the_whole_call_not_each_attempt()
    {
        var recorders = new List<PipeRecorder>();
        for (int i = 0; i < 3; i++)
        {
            var recorder = new PipeRecorder();
            recorders.Add(recorder);
            var node = await StartNodeAsync($"b{i}");
            _owned.Add(await node.ProvideAsync<IPipeBack>(new PipeBack($"b{i}", recorder)));
        }

        var client = await StartNodeAsync("client");
        var proxy = client.CreateClient<IPipeBack>(new ClientOptions { Timeout = TimeSpan.FromMilliseconds(600) });

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.WaitAsync(60_000));

        // One attempt used the whole budget; before issue 20 each of 3 attempts had the whole timeout.
        Assert.Equal(MaculaErrorCode.DeadlineExceeded, ex.Code);
        Assert.Single(ex.Attempts);
        Assert.Equal(1, recorders.Sum(r => r.Calls));
    }

    [Fact]
    public async Task A_deadline_expiry_is_always_DeadlineExceeded_never_Cancelled()
    {
        var back = await StartNodeAsync("back");
        var recorder = new PipeRecorder();
        _owned.Add(await back.ProvideAsync<IPipeBack>(new PipeBack("back", recorder)));
        var client = await StartNodeAsync("client");
        var proxy = client.CreateClient<IPipeBack>(new ClientOptions { Timeout = TimeSpan.FromMilliseconds(100), MaxAttempts = 1 });
        var raw = await RawTransportAsync();

        for (int i = 0; i < 10; i++)
        {
            var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.WaitAsync(60_000));
            Assert.Equal(MaculaErrorCode.DeadlineExceeded, ex.Code);

            // The provider's own reply when its deadline fires during the handler (the client waits longer).
            var headers = new MaculaHeaders { { "Macula-Method", "WaitAsync" }, { "Macula-Timeout", "50" } };
            var reply = await raw.RequestAsync(Rpc("PipeBack", "back"), WaitForever, headers, Wait);
            Assert.Equal("DeadlineExceeded", reply.Headers?["Macula-Status"]);
        }
    }

    [Fact]
    public async Task A_request_whose_budget_or_old_absolute_deadline_is_spent_does_not_run()
    {
        var back = await StartNodeAsync("back");
        var recorder = new PipeRecorder();
        _owned.Add(await back.ProvideAsync<IPipeBack>(new PipeBack("back", recorder)));
        var raw = await RawTransportAsync();

        var spent = new MaculaHeaders { { "Macula-Method", "WaitAsync" }, { "Macula-Timeout", "0" } };
        var old = new MaculaHeaders { { "Macula-Method", "WaitAsync" }, { "Macula-Deadline", DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) } };

        Assert.Equal("DeadlineExceeded", (await raw.RequestAsync(Rpc("PipeBack", "back"), WaitForever, spent, Wait)).Headers?["Macula-Status"]);
        Assert.Equal("DeadlineExceeded", (await raw.RequestAsync(Rpc("PipeBack", "back"), WaitForever, old, Wait)).Headers?["Macula-Status"]);
        Assert.Equal(0, recorder.Calls);
    }

    [Fact]
    public async Task Bad_metadata_from_the_wire_is_refused_as_BadRequest()
    {
        var back = await StartNodeAsync("back");
        var recorder = new PipeRecorder();
        _owned.Add(await back.ProvideAsync<IPipeBack>(new PipeBack("back", recorder)));
        var raw = await RawTransportAsync();

        var headers = new MaculaHeaders { { "Macula-Method", "ChargeAsync" }, { "Macula-Meta-key-bin", "not base64!" } };
        var reply = await raw.RequestAsync(Rpc("PipeBack", "back"), new byte[] { 0x90 }, headers, Wait);

        Assert.Equal("BadRequest", reply.Headers?["Macula-Status"]);
        Assert.Equal(0, recorder.Calls);
    }

    // ---- filters ----

    [Fact]
    public async Task The_bearer_auth_filter_rejects_with_Unauthenticated_or_PermissionDenied_and_is_never_retried()
    {
        var tokens = new Dictionary<string, string[]> { ["admin-token"] = ["admin"], ["reader-token"] = ["reader"] };
        var recorders = new List<PipeRecorder>();
        for (int i = 0; i < 3; i++)
        {
            var recorder = new PipeRecorder();
            recorders.Add(recorder);
            var node = await StartNodeAsync($"b{i}");
            _owned.Add(await node.ProvideAsync<IPipeBack>(new PipeBack($"b{i}", recorder), new ProviderOptions { Filters = [new BearerAuthFilter(tokens, "admin")] }));
        }

        var client = await StartNodeAsync("client");
        string token = "";
        var proxy = client.CreateClient<IPipeBack>(new ClientOptions { Filters = [new BearerTokenFilter(() => token)] });

        var none = await Assert.ThrowsAsync<MaculaRpcException>(() => client.CreateClient<IPipeBack>().WaitAsync(0));
        Assert.Equal(MaculaErrorCode.Unauthenticated, none.Code);
        Assert.Single(none.Attempts);

        token = "wrong";
        var wrong = await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.WaitAsync(0));
        Assert.Equal(MaculaErrorCode.Unauthenticated, wrong.Code);
        Assert.Single(wrong.Attempts);

        token = "reader-token";
        var denied = await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.ChargeAsync());
        Assert.Equal(MaculaErrorCode.PermissionDenied, denied.Code);
        Assert.Single(denied.Attempts);
        Assert.Equal(0, recorders.Sum(r => r.Calls));
        // A refusal is not a provider fault: no circuit moved.
        Assert.All(client.GetProviderHealth(), h => Assert.Equal(0, h.ConsecutiveFailures));

        token = "admin-token";
        Assert.StartsWith("b", await proxy.WaitAsync(0));
        Assert.Equal(1, recorders.Sum(r => r.Calls));
    }

    [Fact]
    public async Task Logging_filters_run_in_order_node_then_client_and_node_then_service_and_observe_failures()
    {
        var log = new ConcurrentQueue<string>();
        var back = await StartNodeAsync("back", o => o with { ServerFilters = [new LoggingFilter("server-node", log)] });
        _owned.Add(await back.ProvideAsync<IPipeBack>(new PipeBack("back", new PipeRecorder()), new ProviderOptions { Filters = [new LoggingFilter("server-service", log)] }));
        var client = await StartNodeAsync("client", o => o with { ClientFilters = [new LoggingFilter("client-node", log)] });
        var proxy = client.CreateClient<IPipeBack>(new ClientOptions { Filters = [new LoggingFilter("client-own", log)], Timeout = TimeSpan.FromMilliseconds(300) });

        Assert.Equal("back", await proxy.WaitAsync(0));
        Assert.Equal(
            [
                "client-node call PipeBack.WaitAsync", "client-own call PipeBack.WaitAsync",
                "server-node serve PipeBack.WaitAsync attempt 1", "server-service serve PipeBack.WaitAsync attempt 1",
                "server-service served ok", "server-node served ok",
                "client-own attempt 1 on back: ok", "client-node attempt 1 on back: ok",
                "client-own call ok", "client-node call ok",
            ],
            log.ToArray());

        log.Clear();
        await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.WaitAsync(60_000));
        Assert.Contains("client-own attempt 1 on back: DeadlineExceeded", log);
        Assert.Contains("client-node call failed DeadlineExceeded", log);
    }

    [Fact]
    public async Task The_retry_budget_filter_stops_failover_when_the_budget_is_spent()
    {
        for (int i = 0; i < 3; i++)
        {
            var node = await StartNodeAsync($"b{i}");
            // b0 and b1 refuse as if shutting down (a safe failover); b2 serves.
            var options = i < 2 ? new ProviderOptions { Filters = [new RefuseFilter(MaculaErrorCode.Overloaded)] } : ProviderOptions.Default;
            _owned.Add(await node.ProvideAsync<IPipeBack>(new PipeBack($"b{i}", new PipeRecorder()), options));
        }

        var client = await StartNodeAsync("client");
        var tight = new RetryBudgetFilter(1);
        var proxy = client.CreateClient<IPipeBack>(new ClientOptions { Strategy = SelectionStrategy.First, Filters = [tight] });

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => proxy.WaitAsync(0));
        Assert.Equal(MaculaErrorCode.MaxAttemptsExceeded, ex.Code);
        Assert.Contains("retry budget", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Attempts.Count);

        var roomy = client.CreateClient<IPipeBack>(new ClientOptions { Strategy = SelectionStrategy.First, Filters = [new RetryBudgetFilter(5)] });
        Assert.Equal("b2", await roomy.WaitAsync(0));
    }

    [Fact]
    public async Task Filters_can_answer_a_call_without_the_provider()
    {
        var back = await StartNodeAsync("back", o => o with { ServerFilters = [new ServerAnswerFilter("from the server filter")] });
        var recorder = new PipeRecorder();
        _owned.Add(await back.ProvideAsync<IPipeBack>(new PipeBack("back", recorder)));
        var client = await StartNodeAsync("client");

        Assert.Equal("from the server filter", await client.CreateClient<IPipeBack>().WaitAsync(60_000));
        var cached = client.CreateClient<IPipeBack>(new ClientOptions { Filters = [new ClientAnswerFilter("from the client filter")] });
        Assert.Equal("from the client filter", await cached.WaitAsync(60_000));
        Assert.Equal(0, recorder.Calls);
    }

    [Fact]
    public async Task Filters_wrap_stream_opens_on_both_sides()
    {
        var log = new ConcurrentQueue<string>();
        var tokens = new Dictionary<string, string[]> { ["t"] = ["admin"] };
        var (client, front, _) = await TwoHopsAsync(new ProviderOptions { Filters = [new LoggingFilter("server", log), new BearerAuthFilter(tokens, "admin")] });

        var refused = client.CreateClient<IPipeFront>();
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(async () =>
        {
            await foreach (var _ in refused.CountAsync(3))
            {
            }
        });
        Assert.Equal(MaculaErrorCode.Unauthenticated, ex.Code);
        Assert.Equal(0, front.Calls);

        var allowed = client.CreateClient<IPipeFront>(new ClientOptions { Filters = [new LoggingFilter("client", log), new BearerTokenFilter(() => "t")] });
        var items = new List<int>();
        await foreach (var item in allowed.CountAsync(3))
        {
            items.Add(item);
        }

        Assert.Equal([0, 1, 2], items);
        Assert.Contains("client call PipeFront.CountAsync", log);
        Assert.Contains("server serve PipeFront.CountAsync attempt 1", log);
    }
}

internal sealed class AddMetadataFilter(string key, string value) : IMaculaClientFilter
{
    public ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
    {
        context.RequestMetadata.Add(key, value);
        return next(context);
    }
}

internal sealed class ClientAnswerFilter(string answer) : IMaculaClientFilter
{
    public ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next)
    {
        context.Result = answer;
        return ValueTask.CompletedTask;
    }
}

internal sealed class ServerAnswerFilter(string answer) : IMaculaServerFilter
{
    public ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next)
    {
        context.SetResult(answer);
        return ValueTask.CompletedTask;
    }
}
