using System.Diagnostics;
using Macula.Benchmarks.Harness;

namespace Macula.Benchmarks.E2e;

/// <summary>
/// What one round of one system gave for one kind of call. NaN where the system does not report it.
/// <see cref="FirstWindowP50Us"/> and <see cref="RestP50Us"/> are the warm-up check: the p50 of the first measured
/// window of sequential calls (<see cref="CallLoop.WarmupCheckWindow"/>) and of the calls after it.
/// </summary>
internal sealed record Figures(double P50Us, double P99Us, double CallsPerSecond, double BytesPerCall, double BytesPerCallConcurrent, double FirstWindowP50Us = double.NaN, double RestP50Us = double.NaN)
{
    /// <summary>Where the CPU of calls at the round's concurrency went, per call (set by the runner, which knows the processes).</summary>
    public CpuPerCall? Cpu { get; init; }
}

/// <summary>Sizes of one round, the same for every system.</summary>
internal sealed record RoundPlan(int Warmup, int Sequential, int Total, int InFlight)
{
    /// <summary>
    /// The plan of the CPU measurement after each round: the concurrent phase alone (two sequential calls, which the
    /// loop needs), so the CPU per call is that of calls at <see cref="InFlight"/>, not of waiting between
    /// sequential ones; at least 20,000 calls, because Linux counts a process's CPU time in 10 ms ticks.
    /// </summary>
    public RoundPlan ConcurrentOnly => this with { Warmup = 0, Sequential = 2, Total = Math.Max(Total, 20_000) };

    /// <summary>Every call of a round: warm-up, sequential and concurrent.</summary>
    public long Calls => (long)Warmup + Sequential + Total;
}

/// <summary>
/// Drives calls the way the Go peer does: warm-up, then <see cref="RoundPlan.Sequential"/> calls one after another
/// (latency at concurrency 1), then <see cref="RoundPlan.Total"/> calls by <see cref="RoundPlan.InFlight"/> workers
/// that each start a new call when theirs completes (throughput).
/// </summary>
internal static class CallLoop
{
    /// <summary>The first tenth of the sequential calls, at most 500 (the Go peer takes the same).</summary>
    public static int WarmupCheckWindow(int sequential) => Math.Clamp(sequential / 10, 1, 500);

    public static async Task<Figures> MeasureAsync(Func<Task> call, RoundPlan plan, CancellationToken cancellationToken)
    {
        for (int i = 0; i < plan.Warmup; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await call().ConfigureAwait(false);
        }

        // Allocation is measured over the sequential phase: every thread of this process counts
        // (GC.GetTotalAllocatedBytes(precise: true)), the client's read loop and continuations included; the servers
        // run in other processes, and this loop allocates nothing per call.
        var latencies = new double[plan.Sequential];
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < latencies.Length; i++)
        {
            if ((i & 255) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            long started = Stopwatch.GetTimestamp();
            await call().ConfigureAwait(false);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        int window = WarmupCheckWindow(latencies.Length);
        double firstWindowP50 = WindowP50(latencies.AsSpan(0, Math.Min(window, latencies.Length)));
        double restP50 = WindowP50(latencies.AsSpan(Math.Min(window, latencies.Length)));
        Array.Sort(latencies);

        var counter = new Counter();
        var workers = new Task[plan.InFlight];
        allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(() => WorkAsync(call, counter, plan.Total, cancellationToken), cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long allocatedConcurrent = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        return new Figures(
            Stats.Percentile(latencies, 50),
            Stats.Percentile(latencies, 99),
            plan.Total / seconds,
            (double)allocated / plan.Sequential,
            (double)allocatedConcurrent / plan.Total,
            firstWindowP50,
            restP50);
    }

    private static double WindowP50(ReadOnlySpan<double> window)
    {
        double[] sorted = window.ToArray();
        Array.Sort(sorted);
        return Stats.Percentile(sorted, 50);
    }

    private static async Task WorkAsync(Func<Task> call, Counter counter, int total, CancellationToken cancellationToken)
    {
        while (Interlocked.Increment(ref counter.Next) < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await call().ConfigureAwait(false);
        }
    }

    private sealed class Counter
    {
        public int Next = -1;
    }
}
