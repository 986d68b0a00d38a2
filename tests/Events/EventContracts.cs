using System.Collections.Concurrent;
using System.Diagnostics;

namespace Macula.Testing.Events;

/// <summary>An order event: who published it and its place in that publisher's sequence.</summary>
public sealed record OrderPlaced(string OrderId, string Publisher, int Sequence, string? Note = null);

/// <summary>The contract the event suite publishes and subscribes to.</summary>
[MaculaEvents("test.orders")]
public interface IOrderEvents
{
    Task PlacedAsync(OrderPlaced order, CancellationToken cancellationToken = default);

    Task CancelledAsync(string orderId, string reason);

    ValueTask TickAsync(int n);

    Task GrowAsync(Branch branch);
}

/// <summary>A recursive DTO, so a payload can nest as deep as it likes.</summary>
public sealed class Branch
{
    public Branch? Child { get; set; }

    public int Depth => Child is null ? 1 : Child.Depth + 1;
}

/// <summary>A contract whose name extends the first one's: its subjects must never reach the first one's subscribers.</summary>
[MaculaEvents("test.orders.archive")]
public interface IArchiveEvents
{
    Task PlacedAsync(OrderPlaced order);
}

/// <summary>
/// A subscriber's handler that records every event it is handed, with an optional behaviour per event: a gate to
/// hold it, an exception to throw. Tracks how many handlers run at once.
/// </summary>
public sealed class OrderRecorder : IOrderEvents
{
    private int _running;
    private int _maxRunning;

    public ConcurrentQueue<OrderPlaced> Placed { get; } = new();

    public ConcurrentQueue<(string OrderId, string Reason)> Cancelled { get; } = new();

    public ConcurrentQueue<int> Ticks { get; } = new();

    /// <summary>Every event handled, in the order its handler ran: <c>Placed:id</c>, <c>Cancelled:id</c>, <c>Tick:n</c>.</summary>
    public ConcurrentQueue<string> Log { get; } = new();

    /// <summary>Runs before an order is recorded; may throw or wait.</summary>
    public Func<OrderPlaced, CancellationToken, Task>? OnPlaced { get; set; }

    public int Count => Placed.Count + Cancelled.Count + Ticks.Count;

    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public int Running => Volatile.Read(ref _running);

    public Activity? LastActivity { get; private set; }

    public async Task PlacedAsync(OrderPlaced order, CancellationToken cancellationToken = default)
    {
        int running = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, running);
        try
        {
            LastActivity = Activity.Current;
            if (OnPlaced is { } before)
            {
                await before(order, cancellationToken);
            }

            Placed.Enqueue(order);
            Log.Enqueue("Placed:" + order.OrderId);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public Task CancelledAsync(string orderId, string reason)
    {
        Cancelled.Enqueue((orderId, reason));
        Log.Enqueue("Cancelled:" + orderId);
        return Task.CompletedTask;
    }

    public ValueTask TickAsync(int n)
    {
        Ticks.Enqueue(n);
        Log.Enqueue("Tick:" + n);
        return ValueTask.CompletedTask;
    }

    public ConcurrentQueue<Branch> Branches { get; } = new();

    public Task GrowAsync(Branch branch)
    {
        Branches.Enqueue(branch);
        return Task.CompletedTask;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

public sealed class ArchiveRecorder : IArchiveEvents
{
    public ConcurrentQueue<OrderPlaced> Placed { get; } = new();

    public Task PlacedAsync(OrderPlaced order)
    {
        Placed.Enqueue(order);
        return Task.CompletedTask;
    }
}
