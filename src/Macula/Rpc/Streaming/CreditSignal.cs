using System.Threading.Tasks.Sources;

namespace Macula.Rpc.Streaming;

/// <summary>
/// Wakes a stream's sender that waits for credit: one waiter at a time (the sender's loop), signalled by whoever
/// takes in a grant. Reused for every wait, so waiting allocates nothing (a <see cref="TaskCompletionSource"/> and
/// a <c>WaitAsync</c> promise each time did). Use: <see cref="Arm"/>, check the credit, then
/// <see cref="WaitAsync"/> only if there is none: a grant taken in after <see cref="Arm"/> completes the wait.
/// </summary>
internal sealed class CreditSignal : IValueTaskSource
{
    private static readonly Action<object?, CancellationToken> OnCancel = static (state, token) => ((CreditSignal)state!).Cancelled(token);

    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private bool _armed;

    /// <summary>Starts a wait: a <see cref="Signal"/> from now on completes it.</summary>
    public void Arm()
    {
        lock (_gate)
        {
            _core.Reset();
            _armed = true;
        }
    }

    /// <summary>Credit came in: completes the armed wait, if any.</summary>
    public void Signal()
    {
        lock (_gate)
        {
            if (_armed)
            {
                _armed = false;
                _core.SetResult(true);
            }
        }
    }

    /// <summary>Waits for a <see cref="Signal"/> since the last <see cref="Arm"/>; throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(OnCancel, this);
        }

        return new ValueTask(this, _core.Version);
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            // Waits for a cancellation callback running elsewhere, so none reaches a later wait.
            _registration.Dispose();
            _registration = default;
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Cancelled(CancellationToken token)
    {
        lock (_gate)
        {
            if (_armed)
            {
                _armed = false;
                _core.SetException(new OperationCanceledException(token));
            }
        }
    }
}
