using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Macula.Testing.Pipeline;

/// <summary>The front of a two-hop mesh: reads its call context and calls <see cref="IPipeBack"/>.</summary>
[MaculaService("PipeFront")]
public interface IPipeFront
{
    Task<string> EchoAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>No CancellationToken parameter: reports what <see cref="MaculaCallContext.Current"/> says, sets response metadata.</summary>
    Task<string> DescribeAsync();

    /// <summary>No CancellationToken parameter: waits on the call context's token, so only the context can stop it.</summary>
    Task<int> WaitForContextTokenAsync();

    /// <summary>Calls <see cref="IPipeBack.WaitAsync"/> with the ambient deadline and cancellation (or detached when asked).</summary>
    Task<string> RelayAsync(int milliseconds, bool detached, CancellationToken cancellationToken = default);

    IAsyncEnumerable<int> CountAsync(int count, CancellationToken cancellationToken = default);
}

[MaculaService("PipeBack")]
public interface IPipeBack
{
    /// <summary>Waits <paramref name="milliseconds"/> (observing cancellation), then returns the node id.</summary>
    Task<string> WaitAsync(int milliseconds, CancellationToken cancellationToken = default);

    [MaculaMethod(Idempotent = false)]
    Task<string> ChargeAsync(CancellationToken cancellationToken = default);
}

/// <summary>What the implementations saw, per node.</summary>
public sealed class PipeRecorder
{
    public ConcurrentQueue<MaculaCallContext> Contexts { get; } = new();

    public ConcurrentQueue<TimeSpan?> RemainingAtStart { get; } = new();

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Calls => Volatile.Read(ref _calls);

    internal int _calls;
}

public sealed class PipeFront(string nodeId, IPipeBack back, PipeRecorder recorder) : IPipeFront
{
    public Task<string> EchoAsync(string text, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref recorder._calls);
        return Task.FromResult(text);
    }

    public Task<string> DescribeAsync()
    {
        Interlocked.Increment(ref recorder._calls);
        var c = MaculaCallContext.Current ?? throw new InvalidOperationException("no call context");
        recorder.Contexts.Enqueue(c);
        c.ResponseMetadata.Add("served-by", nodeId).Add("echo-bin", c.RequestMetadata.GetBytes("blob-bin")?.ToArray() ?? []);
        var blob = c.RequestMetadata.GetBytes("blob-bin");
        return Task.FromResult($"{c.Service}/{c.Method} caller={c.CallerNodeId} attempt={c.Attempt} deadline={(c.Deadline is null ? "none" : "set")} tenant={c.RequestMetadata.GetString("TENANT")} blob={(blob is { } b ? Convert.ToHexString(b.Span) : "none")}");
    }

    public async Task<int> WaitForContextTokenAsync()
    {
        Interlocked.Increment(ref recorder._calls);
        var c = MaculaCallContext.Current!;
        recorder.Started.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, c.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            recorder.Cancelled.TrySetResult();
            throw;
        }

        return 0;
    }

    public Task<string> RelayAsync(int milliseconds, bool detached, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref recorder._calls);
        recorder.Started.TrySetResult();
        var client = detached ? back.WithOptions(new CallOptions { PropagateDeadline = false }) : back;
        // Deliberately not passing cancellationToken: the ambient call context carries the cancellation on.
        return client.WaitAsync(milliseconds);
    }

    public async IAsyncEnumerable<int> CountAsync(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref recorder._calls);
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }
}

public sealed class PipeBack(string nodeId, PipeRecorder recorder) : IPipeBack
{
    public async Task<string> WaitAsync(int milliseconds, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref recorder._calls);
        var c = MaculaCallContext.Current!;
        recorder.Contexts.Enqueue(c);
        recorder.RemainingAtStart.Enqueue(c.RemainingTime);
        recorder.Started.TrySetResult();
        try
        {
            await Task.Delay(milliseconds, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            recorder.Cancelled.TrySetResult();
            throw;
        }

        return nodeId;
    }

    public Task<string> ChargeAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref recorder._calls);
        return Task.FromResult(nodeId);
    }
}
