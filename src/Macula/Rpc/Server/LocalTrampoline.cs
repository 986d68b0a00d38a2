namespace Macula.Rpc.Server;

/// <summary>
/// Runs a local call on the thread that has just answered the previous one, instead of queueing it on the thread pool.
/// </summary>
/// <remarks>
/// <para>
/// A local call cannot run its implementation inside the caller's call (a handler that blocks its thread would hold
/// the caller past its deadline), so it is handed off. Queueing it on the thread pool costs more than the rest of the
/// call: the pool wakes an idle worker for every work item, and on a small machine that worker's wake-up and spinning
/// took about 4 of a sequential local call's 6 us (benchmarks/RESULTS.md, "Local calls"). No pool API queues an item
/// without that wake, hence this class.
/// </para>
/// <para>
/// When a local call's reply completes its caller, the caller's continuation runs on the provider's thread
/// (<see cref="Complete{TState}"/>). A local call the continuation makes before it yields (<see cref="TryQueue"/>)
/// is kept on that thread and run once the continuation has returned: the caller has then given its thread back, so a
/// blocking implementation holds no caller, and the call costs no wake-up. Everything else goes to the pool as
/// before.
/// </para>
/// <para>
/// A thread may not come back: the continuation blocks (a caller waiting synchronously on the call it has just made),
/// or a kept call's implementation blocks with more calls behind it. A watchdog (its own thread, ticking every
/// millisecond only while calls are kept) hands a thread's kept calls to the pool once that thread has started none
/// for two ticks, so a kept call waits at most a few milliseconds longer than on the pool, never until its deadline.
/// </para>
/// </remarks>
internal sealed class LocalTrampoline
{
    /// <summary>The watchdog's period.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    /// <summary>Ticks without kept calls anywhere after which the watchdog stops (it restarts with the next one).</summary>
    private const int IdleTicksBeforeStop = 1_000;

    [ThreadStatic]
    private static LocalTrampoline? t_current;

    /// <summary>Every thread's trampoline, for the watchdog; a trampoline leaves with its thread.</summary>
    private static readonly List<LocalTrampoline> s_all = [];

    /// <summary>Wakes the watchdog's thread when calls are kept again after it stopped.</summary>
    private static readonly AutoResetEvent s_wakeWatchdog = new(false);

    private static Thread? s_watchdog;

    private static int s_watching;

    private static long s_rescued;

    private static long s_kept;

    private readonly Thread _thread = Thread.CurrentThread;

    private readonly Queue<IThreadPoolWorkItem> _kept = new();

    /// <summary>Whether this thread is inside <see cref="Complete{TState}"/> and will run what is kept.</summary>
    private bool _active;

    /// <summary>How many kept calls this thread has started, for the watchdog's "no progress" check.</summary>
    private long _started;

    /// <summary>The watchdog's view at its last tick: <see cref="_started"/>, and whether calls were kept then.</summary>
    private long _startedAtLastTick;

    private bool _stalledAtLastTick;

    /// <summary>Local calls handed to the pool by the watchdog since the process started (for tests and diagnostics).</summary>
    public static long Rescued => Interlocked.Read(ref s_rescued);

    /// <summary>Local calls run by a trampoline since the process started (for tests and diagnostics).</summary>
    public static long Kept => Interlocked.Read(ref s_kept);

    /// <summary>Whether this thread is completing a local call now, so that a local call made here would be kept.</summary>
    public static bool IsActiveHere => t_current?._active == true;

    /// <summary>
    /// Keeps <paramref name="work"/> on this thread when it is completing a local call (see the remarks): true when
    /// kept; false when the caller must queue it on the thread pool itself.
    /// </summary>
    public static bool TryQueue(IThreadPoolWorkItem work)
    {
        var trampoline = t_current;
        if (trampoline is null || !trampoline._active)
        {
            return false;
        }

        lock (trampoline._kept)
        {
            trampoline._kept.Enqueue(work);
        }

        Interlocked.Increment(ref s_kept);
        if (Volatile.Read(ref s_watching) == 0)
        {
            StartWatching();
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="complete"/> (which completes a local call, running its caller's continuation), then the
    /// local calls that continuation kept, in the execution context this thread has now (the provider's own: a kept
    /// call runs in no caller's context, as one from the pool does not). Inside another <see cref="Complete{TState}"/>
    /// of this thread it only completes: the outer one runs what is kept.
    /// </summary>
    public static void Complete<TState>(Action<TState> complete, TState state)
    {
        var trampoline = t_current ?? Register();
        if (trampoline._active)
        {
            complete(state);
            return;
        }

        var context = ExecutionContext.Capture();
        trampoline._active = true;
        try
        {
            complete(state);
            while (trampoline.TryTake(out var work))
            {
                if (context is not null)
                {
                    // A continuation that set an AsyncLocal and then yielded leaves its values on the thread.
                    ExecutionContext.Restore(context);
                }

                Volatile.Write(ref trampoline._started, trampoline._started + 1);
                work.Execute();
            }
        }
        finally
        {
            trampoline._active = false;
            if (context is not null)
            {
                ExecutionContext.Restore(context);
            }
        }
    }

    private bool TryTake(out IThreadPoolWorkItem work)
    {
        lock (_kept)
        {
            return _kept.TryDequeue(out work!);
        }
    }

    private static LocalTrampoline Register()
    {
        var trampoline = new LocalTrampoline();
        lock (s_all)
        {
            s_all.RemoveAll(static t => !t._thread.IsAlive);
            s_all.Add(trampoline);
        }

        return t_current = trampoline;
    }

    private static void StartWatching()
    {
        if (Interlocked.CompareExchange(ref s_watching, 1, 0) != 0)
        {
            return;
        }

        if (s_watchdog is null)
        {
            // Its own thread, not a timer: a timer callback is a thread-pool work item, and a pool wake-up every
            // millisecond measurably slowed the very calls this class exists for (5.2 instead of 3.2 us p50).
            var thread = new Thread(WatchLoop) { IsBackground = true, Name = "Macula local-call watchdog" };
            if (Interlocked.CompareExchange(ref s_watchdog, thread, null) is null)
            {
                thread.Start();
                return;
            }
        }

        s_wakeWatchdog.Set();
    }

    /// <summary>
    /// The watchdog: a tick about every <see cref="Tick"/> while calls are kept anywhere, asleep once none has been kept
    /// for <see cref="IdleTicksBeforeStop"/> ticks.
    /// </summary>
    private static void WatchLoop()
    {
        while (true)
        {
            int idle = 0;
            while (idle < IdleTicksBeforeStop)
            {
                Thread.Sleep(Tick);
                idle = CheckAll() ? 0 : idle + 1;
            }

            // Stop, then look once more: a call kept meanwhile saw s_watching == 1 and did not wake the watchdog.
            Volatile.Write(ref s_watching, 0);
            if (AnyKept() && Interlocked.CompareExchange(ref s_watching, 1, 0) == 0)
            {
                continue;
            }

            s_wakeWatchdog.WaitOne();
        }
    }

    /// <summary>One tick: a thread that has kept calls and started none since the last tick, twice, loses them to the pool.</summary>
    private static bool CheckAll()
    {
        bool anyKept = false;
        lock (s_all)
        {
            foreach (var trampoline in s_all)
            {
                anyKept |= trampoline.Check();
            }
        }

        return anyKept;
    }

    private static bool AnyKept()
    {
        lock (s_all)
        {
            return s_all.Exists(static t => t.HasKept);
        }
    }

    private bool HasKept
    {
        get
        {
            lock (_kept)
            {
                return _kept.Count > 0;
            }
        }
    }

    /// <summary>The watchdog's check of this thread: true when it still keeps calls afterwards.</summary>
    private bool Check()
    {
        long started = Volatile.Read(ref _started);
        bool stalled = HasKept && started == _startedAtLastTick;
        _startedAtLastTick = started;
        if (!stalled || !_stalledAtLastTick)
        {
            _stalledAtLastTick = stalled;
            return HasKept;
        }

        _stalledAtLastTick = false;
        IThreadPoolWorkItem[] rescued;
        lock (_kept)
        {
            rescued = [.. _kept];
            _kept.Clear();
        }

        Interlocked.Add(ref s_rescued, rescued.Length);
        foreach (var work in rescued)
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }

        return false;
    }
}
