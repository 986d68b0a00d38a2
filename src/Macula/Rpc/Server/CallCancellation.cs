namespace Macula.Rpc.Server;

/// <summary>
/// The token of one served call: fires at its deadline (a timer of its own), on a cancel message, or when the node
/// stops. It remembers whether a request (cancel message, drain, node stop) fired it, so an expiry is reported as
/// <see cref="MaculaErrorCode.DeadlineExceeded"/> by what happened, not by reading the clock afterwards (a timer may
/// fire a little before the clock says the deadline has passed). One object for all three, as cheap as the linked
/// source it replaces.
/// </summary>
internal sealed class CallCancellation : CancellationTokenSource
{
    private static readonly Action<object?> OnStopping = static state => ((CallCancellation)state!).CancelByRequest();

    private readonly CancellationTokenRegistration _stopping;
    private volatile bool _byRequest;

    private CallCancellation(CancellationToken stopping)
    {
        _stopping = stopping.UnsafeRegister(OnStopping, this);
    }

    private CallCancellation(TimeSpan delay, TimeProvider time, CancellationToken stopping)
        : base(delay, time)
    {
        _stopping = stopping.UnsafeRegister(OnStopping, this);
    }

    /// <summary>A call's token: with a deadline <paramref name="delay"/> from now, or none; <paramref name="stopping"/> fires it too.</summary>
    public static CallCancellation Start(TimeSpan? delay, TimeProvider time, CancellationToken stopping) =>
        delay is { } d ? new CallCancellation(d < MaxDelay ? d : MaxDelay, time, stopping) : new CallCancellation(stopping);

    /// <summary>The longest timer a token source takes (about 49.7 days); a longer budget is as good as none.</summary>
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(49);

    /// <summary>Whether the deadline, and nothing else before it, fired the token.</summary>
    public bool DeadlinePassed => IsCancellationRequested && !_byRequest;

    /// <summary>Cancels because someone asked (a cancel message, draining, the node stopping), not the deadline.</summary>
    public void CancelByRequest()
    {
        if (!IsCancellationRequested)
        {
            _byRequest = true;
        }

        try
        {
            Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call finished meanwhile.
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stopping.Dispose();
        }

        base.Dispose(disposing);
    }
}
