using System.Collections.Concurrent;

namespace Macula.Nats.Tests.Infrastructure;

/// <summary>Collects a transport's <see cref="NatsEvent"/>s so a test can wait for one.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<NatsEvent> _events = new();
    private readonly SemaphoreSlim _added = new(0);

    public Action<NatsEvent> Sink => e =>
    {
        _events.Enqueue(e);
        _added.Release();
    };

    public IReadOnlyList<NatsEvent> All => _events.ToArray();

    public async Task<NatsEvent> WaitForAsync(Func<NatsEvent, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestTimes.Wait);
        while (true)
        {
            foreach (var e in _events)
            {
                if (predicate(e))
                {
                    return e;
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _added.WaitAsync(left))
            {
                throw new TimeoutException("The expected event did not come. Events:\n" + string.Join("\n", _events.Select(x => $"{x.Kind}: {x.Message}")));
            }
        }
    }

    public Task<NatsEvent> WaitForAsync(NatsEventKind kind, TimeSpan? timeout = null) => WaitForAsync(e => e.Kind == kind, timeout);

    public int Count(NatsEventKind kind) => _events.Count(e => e.Kind == kind);
}

public static class TestTimes
{
    /// <summary>How long a test waits for something that should happen at once; generous for a loaded machine.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Options for tests: fast reconnects and the given servers.</summary>
    public static NatsOptions Options(params string[] servers) => NatsOptions.Default with
    {
        Servers = servers,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReconnectWait = TimeSpan.FromMilliseconds(50),
        ReconnectWaitMax = TimeSpan.FromMilliseconds(500),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };
}
