namespace Macula.Rpc.Server;

/// <summary>
/// The load shedding of one provided service (<see cref="LoadSheddingOptions"/>): at most a limit of calls run at
/// once, a bounded queue waits in arrival order (each entry for a bounded time, on the node's clock), and anything
/// beyond is refused at once. Counts are exact (one lock), so the limit and the queue bound hold, never "about".
/// </summary>
internal sealed class ConcurrencyGate : ILoadGauge
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _queue = new();
    private readonly TimeProvider _time;
    private int _running;
    private int _peakRunning;
    private int _peakQueued;
    private long _shed;

    public ConcurrencyGate(string service, string nodeId, LoadSheddingOptions options, TimeProvider time)
        : this(service, null, nodeId, options.MaxConcurrency, options.QueueLength, options.MaxQueueWait, time)
    {
    }

    public ConcurrencyGate(string service, string? method, string nodeId, int limit, int queueLength, TimeSpan maxQueueWait, TimeProvider time)
    {
        Service = service;
        Method = method;
        NodeId = nodeId;
        Limit = limit;
        QueueLength = queueLength;
        MaxQueueWait = maxQueueWait;
        _time = time;
    }

    /// <summary>The method this gate limits, or <see langword="null"/> for the whole service.</summary>
    public string? Method { get; }

    /// <summary>How a call was admitted.</summary>
    public enum Admission
    {
        /// <summary>It holds a slot now: run it, then <see cref="Exit"/>.</summary>
        Run,

        /// <summary>It waits in the queue: run it when its task says <see langword="true"/> (then <see cref="Exit"/>), shed it on <see langword="false"/>.</summary>
        Queued,

        /// <summary>No slot and no room in the queue: answer Overloaded.</summary>
        Shed,
    }

    public string Service { get; }

    public string NodeId { get; }

    public int Limit { get; }

    public int QueueLength { get; }

    public TimeSpan MaxQueueWait { get; }

    /// <summary>Calls holding a slot now.</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>Calls waiting for a slot now.</summary>
    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>The most calls that ever held a slot at once.</summary>
    public int PeakRunning => Volatile.Read(ref _peakRunning);

    /// <summary>The longest the queue ever was.</summary>
    public int PeakQueued => Volatile.Read(ref _peakQueued);

    /// <summary>Calls refused: no room in the queue, or their wait ran out.</summary>
    public long Shed => Interlocked.Read(ref _shed);

    /// <summary>Takes a slot, or a place in the queue (<paramref name="granted"/> completes when it gets one), or neither.</summary>
    public Admission TryEnter(out Task<bool>? granted)
    {
        lock (_lock)
        {
            if (_running < Limit)
            {
                _running++;
                if (_running > _peakRunning)
                {
                    Volatile.Write(ref _peakRunning, _running);
                }

                granted = null;
                return Admission.Run;
            }

            if (_queue.Count < QueueLength && MaxQueueWait > TimeSpan.Zero)
            {
                var waiter = new Waiter(this);
                waiter.Node = _queue.AddLast(waiter);
                if (_queue.Count > _peakQueued)
                {
                    Volatile.Write(ref _peakQueued, _queue.Count);
                }

                // The timer's callback takes the lock, so it cannot see the waiter before it is in the queue.
                waiter.Timer = _time.CreateTimer(static s => ((Waiter)s!).Expire(), waiter, MaxQueueWait, Timeout.InfiniteTimeSpan);
                granted = waiter.Completion.Task;
                return Admission.Queued;
            }

            _shed++;
            granted = null;
            return Admission.Shed;
        }
    }

    /// <summary>A call that held a slot finished: the slot goes to the first in the queue, or is freed.</summary>
    public void Exit()
    {
        Waiter? next = null;
        lock (_lock)
        {
            if (_queue.First is { } first)
            {
                _queue.RemoveFirst();
                next = first.Value;
                next.Node = null;
            }
            else
            {
                _running--;
            }
        }

        next?.Complete(true);
    }

    /// <summary>Refuses every queued call (the provider is stopping).</summary>
    public void ShedQueued()
    {
        List<Waiter> refused;
        lock (_lock)
        {
            refused = new List<Waiter>(_queue);
            foreach (var waiter in refused)
            {
                waiter.Node = null;
            }

            _queue.Clear();
            _shed += refused.Count;
        }

        foreach (var waiter in refused)
        {
            waiter.Complete(false);
        }
    }

    private sealed class Waiter(ConcurrencyGate gate)
    {
        public readonly TaskCompletionSource<bool> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node;

        public ITimer? Timer;

        public void Expire()
        {
            lock (gate._lock)
            {
                if (Node is null)
                {
                    return;
                }

                gate._queue.Remove(Node);
                Node = null;
                gate._shed++;
            }

            Complete(false);
        }

        public void Complete(bool granted)
        {
            Timer?.Dispose();
            Completion.TrySetResult(granted);
        }
    }
}
