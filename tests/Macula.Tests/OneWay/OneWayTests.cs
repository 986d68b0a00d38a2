using System.Collections.Concurrent;
using Macula.Transport.InMemory;

namespace Macula.Tests.OneWay;

[MaculaService("Notifier")]
public interface INotifier
{
    /// <summary>Records <paramref name="id"/> as it starts, then waits for the test's gate before it finishes.</summary>
    [MaculaMethod(OneWay = true)]
    Task NotifyAsync(int id, CancellationToken cancellationToken = default);

    /// <summary>Throws InvalidOperationException with <paramref name="message"/> after its first await.</summary>
    [MaculaMethod(OneWay = true)]
    ValueTask FailAsync(string message);
}

public sealed class Notifier : INotifier
{
    private readonly ConcurrentQueue<int> _started = new();

    /// <summary>Opened by the test: until then every NotifyAsync waits.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the id of the first NotifyAsync that finished.</summary>
    public TaskCompletionSource<int> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int[] Started => [.. _started];

    public async Task NotifyAsync(int id, CancellationToken cancellationToken = default)
    {
        _started.Enqueue(id);
        await Gate.Task.WaitAsync(cancellationToken);
        Finished.TrySetResult(id);
    }

    public async ValueTask FailAsync(string message)
    {
        await Task.Yield();
        throw new InvalidOperationException(message);
    }
}

/// <summary>One-way methods in memory: delivered then not waited for, at most once, no-responders still an error.</summary>
public sealed class OneWayTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task One_way_call_returns_before_the_implementation_finishes()
    {
        await using var mesh = await NotifierMesh.StartAsync(1);
        var notifier = mesh.CreateClient();

        // The implementation cannot finish before the gate opens, and the gate opens only after the call returned.
        await notifier.NotifyAsync(7).WaitAsync(Bound);
        Assert.False(mesh.Impls[0].Finished.Task.IsCompleted);
        Assert.Equal([7], mesh.Impls[0].Started);

        mesh.Impls[0].Gate.SetResult();
        Assert.Equal(7, await mesh.Impls[0].Finished.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task One_way_call_to_the_callers_own_node_returns_before_the_implementation_finishes()
    {
        // The local fast path: the acknowledgement releases the caller while the implementation waits for its gate.
        var network = new InMemoryNetwork();
        await using var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "self" });
        var impl = new Notifier();
        await node.ProvideAsync<INotifier>(impl);
        var notifier = node.CreateClient<INotifier>();

        await notifier.NotifyAsync(7).WaitAsync(Bound);
        Assert.False(impl.Finished.Task.IsCompleted);
        Assert.Equal([7], impl.Started);

        impl.Gate.SetResult();
        Assert.Equal(7, await impl.Finished.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Thousand_one_way_calls_start_in_order_exactly_once()
    {
        await using var mesh = await NotifierMesh.StartAsync(1);
        mesh.Impls[0].Gate.SetResult();
        var notifier = mesh.CreateClient();

        for (int i = 0; i < 1000; i++)
        {
            await notifier.NotifyAsync(i).WaitAsync(Bound);
        }

        Assert.Equal(Enumerable.Range(0, 1000), mesh.Impls[0].Started);
    }

    [Fact]
    public async Task Failure_of_a_one_way_implementation_stays_on_the_provider()
    {
        var events = new ConcurrentQueue<MaculaEvent>();
        await using var mesh = await NotifierMesh.StartAsync(1, events.Enqueue);

        await mesh.CreateClient().FailAsync("too late to tell").AsTask().WaitAsync(Bound);

        var deadline = DateTime.UtcNow + Bound;
        while (!events.Any(e => e.Kind == MaculaEventKind.Error && e.Exception?.Message == "too late to tell"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the provider did not report the failure");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task One_way_call_fails_over_past_no_responders()
    {
        await using var mesh = await NotifierMesh.StartAsync(2);
        mesh.Transports[0].Faults.Subjects = "macula.*.rpc.>";
        mesh.Transports[0].Faults.NoResponders = true;
        mesh.Impls[1].Gate.SetResult();

        await mesh.CreateClient().NotifyAsync(1).WaitAsync(Bound);

        Assert.Empty(mesh.Impls[0].Started);
        Assert.Equal([1], mesh.Impls[1].Started);
    }

    [Fact]
    public async Task One_way_call_with_no_responders_anywhere_is_an_error()
    {
        await using var mesh = await NotifierMesh.StartAsync(1);
        mesh.Transports[0].Faults.Subjects = "macula.*.rpc.>";
        mesh.Transports[0].Faults.NoResponders = true;

        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => mesh.CreateClient().NotifyAsync(1).WaitAsync(Bound));

        Assert.Equal(MaculaErrorCode.AllProvidersFailed, ex.Code);
        Assert.Equal(MaculaErrorCode.NoResponders, Assert.Single(ex.Attempts).Code);
    }

    [Fact]
    public async Task One_way_call_that_may_have_been_delivered_is_never_retried()
    {
        await using var mesh = await NotifierMesh.StartAsync(2);
        mesh.Transports[0].Faults.Subjects = "macula.*.rpc.>";
        mesh.Transports[0].Faults.DropIncoming = true;
        mesh.Impls[1].Gate.SetResult();

        // Idempotent by default, yet one-way is at most once: p0 may have got it, so p1 must not.
        // The attempt's own limit, inside a call of 30 s: time is left for another attempt, which must not come.
        var ex = await Assert.ThrowsAsync<MaculaRpcException>(() => mesh.CreateClient(attemptTimeout: TimeSpan.FromMilliseconds(300)).NotifyAsync(1).WaitAsync(Bound));

        Assert.Equal(MaculaErrorCode.Timeout, ex.Code);
        Assert.Equal("p0", Assert.Single(ex.Attempts).NodeId);
        Assert.Contains("one-way", ex.Message, StringComparison.Ordinal);
        Assert.Empty(mesh.Impls[1].Started);
    }

    [Fact]
    public async Task One_way_call_is_never_hedged()
    {
        await using var mesh = await NotifierMesh.StartAsync(2);
        mesh.Transports[0].Faults.Subjects = "macula.*.rpc.>";
        mesh.Transports[0].Faults.Delay = TimeSpan.FromMilliseconds(300);
        foreach (var impl in mesh.Impls)
        {
            impl.Gate.SetResult();
        }

        var notifier = mesh.Client.CreateClient<INotifier>(new ClientOptions { Strategy = SelectionStrategy.First, HedgeAfter = TimeSpan.FromMilliseconds(10) });
        await notifier.NotifyAsync(1).WaitAsync(Bound);

        Assert.Equal([1], mesh.Impls[0].Started);
        Assert.Empty(mesh.Impls[1].Started);
    }
}

/// <summary>Provider nodes p0, p1, ... of <see cref="INotifier"/> and one client node on an in-memory network.</summary>
public sealed class NotifierMesh : IAsyncDisposable
{
    private readonly List<MaculaNode> _nodes = [];

    public InMemoryNetwork Network { get; } = new();

    public List<Notifier> Impls { get; } = [];

    public List<InMemoryTransport> Transports { get; } = [];

    public MaculaNode Client { get; private set; } = null!;

    public static async Task<NotifierMesh> StartAsync(int providers, Action<MaculaEvent>? onEvent = null)
    {
        var mesh = new NotifierMesh();
        for (int i = 0; i < providers; i++)
        {
            var transport = mesh.Network.CreateTransport();
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = transport, NodeId = $"p{i}", ShutdownGracePeriod = TimeSpan.FromMilliseconds(200), OnEvent = onEvent });
            var impl = new Notifier();
            await node.ProvideAsync<INotifier>(impl);
            mesh._nodes.Add(node);
            mesh.Impls.Add(impl);
            mesh.Transports.Add(transport);
        }

        mesh.Client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = mesh.Network.CreateTransport(), NodeId = "client" });
        mesh._nodes.Add(mesh.Client);
        return mesh;
    }

    public INotifier CreateClient(TimeSpan? timeout = null, TimeSpan? attemptTimeout = null) =>
        Client.CreateClient<INotifier>(new ClientOptions { Strategy = SelectionStrategy.First, Timeout = timeout ?? TimeSpan.FromSeconds(30), AttemptTimeout = attemptTimeout });

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
