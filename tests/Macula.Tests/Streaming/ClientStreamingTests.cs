using Macula.Transport;
using Macula.Transport.InMemory;

namespace Macula.Tests.Streaming;

/// <summary>Client and duplex streams across an in-memory mesh: order, exactly once, flow control, errors and cancellation both ways.</summary>
public sealed class ClientStreamingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task Client_stream_delivers_1000_items_in_order_exactly_once(int window)
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);
        var probe = mesh.CreateClient(window);

        var read = await probe.CollectAsync(items.CountAsync(1000)).WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 1000), read);
        Assert.Equal(1000, mesh.Ledger.Produced);
        Assert.Equal(1000, mesh.Ledger.Consumed);
        Assert.InRange(mesh.Ledger.MaxAhead, 1, window);
        Assert.Null(await mesh.Impl.Ended.Task.WaitAsync(Bound));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task Duplex_stream_echoes_1000_items_in_order_exactly_once(int window)
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);
        var probe = mesh.CreateClient(window);

        var echoed = await probe.EchoAsync(items.CountAsync(1000), 3).ToListAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * 3), echoed);
        Assert.Equal(1000, mesh.Ledger.Consumed);
        Assert.InRange(mesh.Ledger.MaxAhead, 1, window);
        Assert.Equal(1, mesh.Impl.Opened);
    }

    [Fact]
    public async Task Duplex_stream_with_window_1_goes_on_when_credit_arrives_before_the_publish_returns()
    {
        // Each publish returns 5 ms after the message was delivered, so every acknowledgement reaches the sender
        // while it is still inside PublishAsync: credit for an item must count although its publish has not returned.
        await using var mesh = await UploadMesh.StartAsync(wrap: static transport => new ReturnsLateTransport(transport, TimeSpan.FromMilliseconds(5)));
        var items = new ClientItems(mesh.Ledger);
        var probe = mesh.CreateClient(window: 1);

        var echoed = await probe.EchoAsync(items.CountAsync(100), 2).ToListAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 100).Select(i => i * 2), echoed);
        Assert.Equal(100, mesh.Ledger.Consumed);
        Assert.InRange(mesh.Ledger.MaxAhead, 1, 1);
    }

    [Fact]
    public async Task Client_stream_without_a_result_delivers_its_items_and_arguments()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var probe = mesh.CreateClient(4);

        await probe.StoreAsync("b", new[] { "x", "y", "z" }.ToAsyncEnumerable()).WaitAsync(Bound);

        Assert.Equal(["b/x", "b/y", "b/z"], mesh.Impl.Stored);
    }

    [Fact]
    public async Task Empty_client_stream_ends_at_once()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);

        Assert.Empty(await mesh.CreateClient().CollectAsync(items.CountAsync(0)).WaitAsync(Bound));
        Assert.Empty(await mesh.CreateClient().EchoAsync(items.CountAsync(0), 2).ToListAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task Handler_failure_ends_a_client_stream_with_the_remote_exception_and_stops_the_clients_items()
    {
        await using var mesh = await UploadMesh.StartAsync(includeErrorDetails: true);
        var items = new ClientItems(mesh.Ledger);
        var probe = mesh.CreateClient(8);

        // The client's items never end on their own: only the provider's failure can stop them.
        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(() => probe.FailAfterAsync(items.CountAsync(int.MaxValue), 5, "handler broke").WaitAsync(Bound));

        Assert.Equal(typeof(InvalidOperationException).FullName, ex.RemoteType);
        Assert.Equal("handler broke", ex.RemoteMessage);
        Assert.Equal("p0", ex.NodeId);
        Assert.True(await items.Ended.Task.WaitAsync(Bound), "the client's items were not cancelled");
    }

    [Fact]
    public async Task Duplex_handler_failure_arrives_after_the_items_it_sent()
    {
        await using var mesh = await UploadMesh.StartAsync(includeErrorDetails: true);
        var items = new ClientItems(mesh.Ledger);
        var received = new List<int>();

        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(async () =>
        {
            await foreach (int item in mesh.CreateClient(16).EchoThenFailAsync(items.CountAsync(int.MaxValue), 3, "echo broke").WithCancellation(new CancellationTokenSource(Bound).Token))
            {
                received.Add(item);
            }
        });

        Assert.Equal([0, 1, 2], received);
        Assert.Equal("echo broke", ex.RemoteMessage);
        Assert.True(await items.Ended.Task.WaitAsync(Bound), "the client's items were not cancelled");
    }

    [Fact]
    public async Task Failure_of_the_clients_items_reaches_the_caller_and_the_handler()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => mesh.CreateClient(4).CollectAsync(items.CountAsync(100, failAfter: 10)).WaitAsync(Bound));

        Assert.Equal("the client's items broke", ex.Message);
        var seen = Assert.IsType<MaculaRemoteException>(await mesh.Impl.Ended.Task.WaitAsync(Bound));
        Assert.Equal(typeof(InvalidOperationException).FullName, seen.RemoteType);
        Assert.Contains("the client's items broke", seen.RemoteMessage, StringComparison.Ordinal);
        Assert.Equal(10, mesh.Ledger.Consumed);
    }

    [Fact]
    public async Task Failure_of_the_clients_items_ends_a_duplex_stream_on_both_sides()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);

        await Assert.ThrowsAsync<InvalidOperationException>(() => mesh.CreateClient(4).EchoAsync(items.CountAsync(100, failAfter: 10), 1).ToListAsync().AsTask().WaitAsync(Bound));

        Assert.IsType<MaculaRemoteException>(await mesh.Impl.Ended.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Cancelling_a_client_stream_cancels_the_handler()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);
        using var cts = new CancellationTokenSource();

        var upload = mesh.CreateClient(4).CollectAsync(items.CountAsync(1, thenWait: true), cts.Token);
        await mesh.Impl.FirstRead.Task.WaitAsync(Bound);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload.WaitAsync(Bound));
        Assert.IsAssignableFrom<OperationCanceledException>(await mesh.Impl.Ended.Task.WaitAsync(Bound));
        Assert.True(await items.Ended.Task.WaitAsync(Bound), "the client's items were not cancelled");
    }

    [Fact]
    public async Task Breaking_out_of_a_duplex_stream_cancels_the_handler()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);

        await foreach (int item in mesh.CreateClient(4).EchoAsync(items.CountAsync(int.MaxValue), 1).WithCancellation(new CancellationTokenSource(Bound).Token))
        {
            if (item == 5)
            {
                break;
            }
        }

        Assert.IsAssignableFrom<OperationCanceledException>(await mesh.Impl.Ended.Task.WaitAsync(Bound));
        Assert.True(await items.Ended.Task.WaitAsync(Bound), "the client's items were not cancelled");
    }

    [Fact]
    public async Task Heartbeats_keep_a_slow_client_stream_open_past_the_idle_timeout()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);

        // The handler reads an item every 2.5 s, longer than the idle timeout: only heartbeats (both ways) keep it open.
        Assert.Equal(2, await mesh.CreateClient(1, TimeSpan.FromMilliseconds(1500)).SlowCollectAsync(items.CountAsync(2), 2500).WaitAsync(Bound));
    }

    [Fact]
    public async Task Provider_stops_a_client_stream_whose_client_vanished()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var items = new ClientItems(mesh.Ledger);

        _ = mesh.CreateClient(4, TimeSpan.FromSeconds(1)).CollectAsync(items.CountAsync(1, thenWait: true));
        await mesh.Impl.FirstRead.Task.WaitAsync(Bound);
        mesh.ClientTransport.Kill();

        // No more items, acknowledgements or heartbeats: the provider gives up after the client's idle timeout.
        Assert.IsAssignableFrom<OperationCanceledException>(await mesh.Impl.Ended.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Client_stream_of_a_client_made_before_its_node_started_runs_once_it_has()
    {
        await using var mesh = await UploadMesh.StartAsync();
        var node = new TaskCompletionSource<MaculaNode>();
        var probe = MaculaNode.CreateClient<IUploadProbe>(node.Task, new ClientOptions { Streams = new StreamOptions { Window = 2 } });
        var items = new ClientItems(mesh.Ledger);

        var upload = probe.CollectAsync(items.CountAsync(20));
        node.SetResult(mesh.Client);

        Assert.Equal(Enumerable.Range(0, 20), await upload.WaitAsync(Bound));
        Assert.Equal([0, 2, 4], await probe.EchoAsync(new[] { 0, 1, 2 }.ToAsyncEnumerable(), 2).ToListAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task Client_stream_open_fails_over_past_a_provider_that_never_acknowledges()
    {
        await using var mesh = await UploadMesh.StartAsync(providers: 2);
        mesh.Transports[0].Faults.Subjects = "macula.*.rpc.>";
        mesh.Transports[0].Faults.DropIncoming = true;
        var items = new ClientItems(mesh.Ledger);
        var probe = mesh.Client.CreateClient<IUploadProbe>(new ClientOptions
        {
            Strategy = SelectionStrategy.First,
            Timeout = TimeSpan.FromMinutes(10),
            Streams = new StreamOptions { OpenTimeout = TimeSpan.FromMilliseconds(200) },
        });

        Assert.Equal(Enumerable.Range(0, 50), await probe.CollectAsync(items.CountAsync(50)).WaitAsync(Bound));
        Assert.Equal(0, mesh.Impls[0].Opened);
        Assert.Equal(1, mesh.Impls[1].Opened);
    }
}

/// <summary>Provider nodes p0, p1, ... of <see cref="IUploadProbe"/> and one client node on an in-memory network.</summary>
public sealed class UploadMesh : IAsyncDisposable
{
    private readonly List<MaculaNode> _nodes = [];

    public InMemoryNetwork Network { get; } = new();

    public StreamLedger Ledger { get; } = new();

    public List<UploadProbeImpl> Impls { get; } = [];

    public List<InMemoryTransport> Transports { get; } = [];

    public UploadProbeImpl Impl => Impls[0];

    public MaculaNode Client { get; private set; } = null!;

    public static async Task<UploadMesh> StartAsync(int providers = 1, bool includeErrorDetails = false, Func<IMaculaTransport, IMaculaTransport>? wrap = null)
    {
        wrap ??= static transport => transport;
        var mesh = new UploadMesh();
        for (int i = 0; i < providers; i++)
        {
            var transport = mesh.Network.CreateTransport();
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = wrap(transport), NodeId = $"p{i}", ShutdownGracePeriod = TimeSpan.FromMilliseconds(200), IncludeErrorDetails = includeErrorDetails });
            var impl = new UploadProbeImpl(mesh.Ledger);
            await node.ProvideAsync<IUploadProbe>(impl);
            mesh._nodes.Add(node);
            mesh.Impls.Add(impl);
            mesh.Transports.Add(transport);
        }

        mesh.ClientTransport = mesh.Network.CreateTransport();
        mesh.Client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = wrap(mesh.ClientTransport), NodeId = "client" });
        mesh._nodes.Add(mesh.Client);
        return mesh;
    }

    public InMemoryTransport ClientTransport { get; private set; } = null!;

    public IUploadProbe CreateClient(int window = 64, TimeSpan? idle = null) =>
        Client.CreateClient<IUploadProbe>(new ClientOptions { Strategy = SelectionStrategy.First, Streams = new StreamOptions { Window = window, IdleTimeout = idle ?? TimeSpan.FromSeconds(30) } });

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}

/// <summary>A transport whose publishes deliver at once but return to the publisher only after <c>lag</c>.</summary>
internal sealed class ReturnsLateTransport(IMaculaTransport inner, TimeSpan lag) : IMaculaTransport
{
    public int MaxPayload => inner.MaxPayload;

    public ValueTask ConnectAsync(CancellationToken cancellationToken = default) => inner.ConnectAsync(cancellationToken);

    public async ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, string? replyTo = null, CancellationToken cancellationToken = default)
    {
        await inner.PublishAsync(subject, payload, headers, replyTo, cancellationToken);
        await Task.Delay(lag, CancellationToken.None);
    }

    public ValueTask<IAsyncDisposable> SubscribeAsync(string subject, MessageHandler handler, string? queueGroup = null, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(subject, handler, queueGroup, cancellationToken);

    public ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        inner.RequestAsync(subject, payload, headers, timeout, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
