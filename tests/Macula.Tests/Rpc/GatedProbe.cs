using System.Collections.Concurrent;
using Macula.Transport.InMemory;

namespace Macula.Tests.Rpc;

/// <summary>
/// A probe implementation for the load tests: <see cref="ChargeAsync"/> (not idempotent) and <see cref="AddAsync"/>
/// count executions per request id (their first argument) and wait for <see cref="Gate"/>, ignoring their token;
/// <see cref="SlowAsync"/> blocks its thread on <see cref="Block"/>; <see cref="WhoAsync"/> answers at once, or with a
/// result of <see cref="ResultBytes"/> characters.
/// </summary>
public sealed class GatedProbe(string nodeName) : IProbe
{
    private int _inFlight;
    private int _maxInFlight;
    private int _blocked;

    public string NodeName { get; } = nodeName;

    /// <summary>Open (completed) lets every gated call finish.</summary>
    public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ManualResetEventSlim Block { get; } = new(false);

    /// <summary>Set when the n-th blocking call has entered <see cref="SlowAsync"/>.</summary>
    public TaskCompletionSource BlockedEnough { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int BlockedTarget { get; set; } = 1;

    /// <summary>Set when <see cref="InFlightTarget"/> gated calls run at once.</summary>
    public TaskCompletionSource InFlightReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int InFlightTarget { get; set; } = int.MaxValue;

    public int ResultBytes { get; set; }

    public ConcurrentDictionary<int, int> Executions { get; } = new();

    public int Calls;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int InFlight => Volatile.Read(ref _inFlight);

    public ValueTask<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => GatedAsync(a, a + b);

    public ValueTask<string> ChargeAsync(int milliseconds, CancellationToken cancellationToken = default) => GatedAsync(milliseconds, NodeName);

    /// <summary>Runs inside every <see cref="WhoAsync"/>, on its thread.</summary>
    public Action? OnWho { get; set; }

    public ValueTask<string> WhoAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        OnWho?.Invoke();
        return ValueTask.FromResult(ResultBytes > 0 ? new string('x', ResultBytes) : NodeName);
    }

    public ValueTask<string> SlowAsync(int milliseconds, CancellationToken cancellationToken = default)
    {
        // Synchronous on purpose: a handler that blocks its thread, as Thread.Sleep does.
        if (Interlocked.Increment(ref _blocked) >= BlockedTarget)
        {
            BlockedEnough.TrySetResult();
        }

        Block.Wait(TimeSpan.FromMinutes(2));
        return ValueTask.FromResult(NodeName);
    }

    public ValueTask FailAsync(string message, CancellationToken cancellationToken = default) => throw new InvalidOperationException(message);

    private async ValueTask<T> GatedAsync<T>(int id, T result)
    {
        Executions.AddOrUpdate(id, 1, static (_, n) => n + 1);
        int now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }

        if (now >= InFlightTarget)
        {
            InFlightReached.TrySetResult();
        }

        try
        {
            // Ignores its cancellation token: only the gate ends it.
            await Gate.Task.ConfigureAwait(false);
            return result;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>Provider nodes (the first with its own load shedding) serving <see cref="GatedProbe"/>s and one client node, on an in-memory network.</summary>
public sealed class GatedMesh : IAsyncDisposable
{
    private readonly List<MaculaNode> _nodes = [];

    public InMemoryNetwork Network { get; private init; } = new();

    public List<(MaculaNode Node, GatedProbe Impl)> Providers { get; } = [];

    public MaculaNode Client { get; private set; } = null!;

    public ConcurrentQueue<MaculaEvent> ClientEvents { get; } = new();

    public static async Task<GatedMesh> StartAsync(int providers, LoadSheddingOptions shedding, LoadSheddingOptions? othersShedding = null, InMemoryNetwork? network = null, Func<MaculaNodeOptions, MaculaNodeOptions>? configure = null)
    {
        var mesh = new GatedMesh { Network = network ?? new InMemoryNetwork() };
        configure ??= o => o;
        for (int i = 0; i < providers; i++)
        {
            var node = await MaculaNode.StartAsync(configure(new MaculaNodeOptions { Transport = mesh.Network.CreateTransport(), NodeId = $"p{i}", LoadShedding = i == 0 ? shedding : othersShedding ?? shedding }));
            var impl = new GatedProbe($"p{i}");
            await node.ProvideAsync<IProbe>(impl);
            mesh._nodes.Add(node);
            mesh.Providers.Add((node, impl));
        }

        mesh.Client = await MaculaNode.StartAsync(configure(new MaculaNodeOptions { Transport = mesh.Network.CreateTransport(), NodeId = "client", OnEvent = mesh.ClientEvents.Enqueue }));
        mesh._nodes.Add(mesh.Client);
        return mesh;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, impl) in Providers)
        {
            impl.Gate.TrySetResult();
            impl.Block.Set();
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
