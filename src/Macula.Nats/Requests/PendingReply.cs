using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Macula.Transport;

namespace Macula.Nats.Requests;

/// <summary>
/// One request waiting for its reply: a pooled <see cref="IValueTaskSource{TResult}"/> with its own reusable timer, so
/// a request allocates no task, no timer and no cancellation promise. Whoever removes the request from the
/// <see cref="ReplyTable"/> (the reply, the timer, the caller's token, a lost connection) completes it, exactly once.
/// </summary>
internal sealed class PendingReply : IValueTaskSource<TransportMessage>
{
    private static readonly TimerCallback OnTimer = static state => ((PendingReply)state!).TimerFired();
    private static readonly Action<object?, CancellationToken> OnCancel = static (state, token) => ((PendingReply)state!).Cancelled(token);

    private static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly ReplyTable _table;
    private readonly Timer _timer;
    private ManualResetValueTaskSourceCore<TransportMessage> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private long _deadline;

    public PendingReply(ReplyTable table)
    {
        _table = table;
        _timer = new Timer(OnTimer, this, System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
    }

    public long Id { get; private set; }

    /// <summary>How many connection losses the transport had seen when this request was made.</summary>
    public int Generation { get; private set; }

    public string Subject { get; private set; } = string.Empty;

    public TimeSpan Timeout { get; private set; }

    public ValueTask<TransportMessage> Task => new(this, _core.Version);

    /// <summary>Names this use; called by the table, under its lock, as the request goes in.</summary>
    public void Prepare(long id, int generation, string subject, TimeSpan timeout)
    {
        Id = id;
        Generation = generation;
        Subject = subject;
        Timeout = timeout;
        Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));
    }

    /// <summary>Arms the timer and the caller's token, once the request is in the table.</summary>
    public void Arm(CancellationToken cancellationToken)
    {
        // Timer's limit is about 49 days; a longer timeout is as good as none.
        _timer.Change(Timeout < MaxTimer ? Timeout : MaxTimer, System.Threading.Timeout.InfiniteTimeSpan);
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(OnCancel, this);
        }
    }

    public void Complete(TransportMessage message)
    {
        Disarm();
        _core.SetResult(message);
    }

    public void Fail(Exception exception)
    {
        Disarm();
        _core.SetException(exception);
    }

    public TransportMessage GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _table.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Disarm()
    {
        _timer.Change(System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);

        // Waits for a cancellation callback running on another thread, so none can reach a later use of this object.
        _cancellation.Dispose();
        _cancellation = default;
    }

    private void TimerFired()
    {
        // A late callback of an earlier use finds the deadline of the current one still ahead and re-arms for it.
        long left = Volatile.Read(ref _deadline) - Stopwatch.GetTimestamp();
        if (left > 0)
        {
            _timer.Change(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency), System.Threading.Timeout.InfiniteTimeSpan);
            return;
        }

        long id = Id;
        if (_table.TryRemove(id, this))
        {
            Fail(new MaculaTransportException(TransportErrorKind.Timeout, $"No reply to the request on '{Subject}' within {Timeout.TotalMilliseconds:0} ms."));
        }
    }

    private void Cancelled(CancellationToken token)
    {
        if (_table.TryRemove(Id, this))
        {
            Fail(new OperationCanceledException("The request was cancelled.", token));
        }
    }
}
