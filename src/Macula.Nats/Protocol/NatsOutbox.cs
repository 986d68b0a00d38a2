namespace Macula.Nats.Protocol;

/// <summary>
/// Outgoing bytes, coalesced: producers append whole frames under <see cref="Gate"/>, and one writer loop per
/// connection takes everything pending at once and hands it to the socket in a single write. While the socket is
/// busy, new frames pile up into the next write, so many small messages cost few system calls.
/// </summary>
/// <remarks>
/// Control frames (SUB, UNSUB, PING, PONG) and publishes are kept apart: control frames belong to one connection
/// and are dropped when it is lost (subscriptions are restored from the connection's table), while publishes are
/// kept for the next connection. Control frames go first in each write, so a subscription always reaches the
/// server before a request that expects a reply on it.
/// </remarks>
internal sealed class NatsOutbox : IDisposable
{
    private readonly ByteBuffer _control = new();
    private readonly ByteBuffer _publish = new();
    private TaskCompletionSource? _wake;
    private TaskCompletionSource? _drained;
    private bool _stopWhenEmpty;

    public NatsOutbox(object gate)
    {
        Gate = gate;
    }

    /// <summary>The lock that guards every member but <see cref="RunAsync"/>.</summary>
    public object Gate { get; }

    /// <summary>Control frames for the current connection.</summary>
    public ByteBuffer Control => _control;

    /// <summary>Publishes waiting to be written, kept across a reconnect.</summary>
    public ByteBuffer Publish => _publish;

    /// <summary>Wakes the writer loop after frames were appended.</summary>
    public void Signal()
    {
        var wake = _wake;
        _wake = null;
        wake?.TrySetResult();
    }

    /// <summary>Drops control frames meant for a connection that is gone, and releases producers waiting on it.</summary>
    public void ResetControl()
    {
        _control.Clear();
        ReleaseDrainWaiters();
    }

    /// <summary>A task that completes when the writer has taken what is pending now.</summary>
    public Task WhenDrained()
    {
        _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _drained.Task;
    }

    /// <summary>Makes the writer loop return once nothing is pending (used on close, to flush what was accepted).</summary>
    public void StopWhenEmpty()
    {
        _stopWhenEmpty = true;
        Signal();
    }

    public void DropPublishes()
    {
        _publish.Clear();
        ReleaseDrainWaiters();
    }

    /// <summary>Writes pending frames to <paramref name="stream"/> until <paramref name="isActive"/> turns false.</summary>
    /// <param name="stream">The connection's stream.</param>
    /// <param name="isActive">Read under <see cref="Gate"/>; false when the connection is no longer current.</param>
    /// <param name="cancellationToken">Cancelled when the connection is torn down.</param>
    public async Task RunAsync(Stream stream, Func<bool> isActive, CancellationToken cancellationToken)
    {
        using var send = new ByteBuffer();

        // One registration for the loop's life instead of a WaitAsync(token) per wait: cancellation wakes the wait.
        using var wakeOnCancel = cancellationToken.UnsafeRegister(static state => ((NatsOutbox)state!).WakeForCancel(), this);
        while (true)
        {
            Task? wait = null;
            lock (Gate)
            {
                if (!isActive())
                {
                    return;
                }

                if (_control.Length == 0 && _publish.Length == 0)
                {
                    if (_stopWhenEmpty)
                    {
                        return;
                    }

                    _wake ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _wake.Task;
                }
                else
                {
                    send.Write(_control.WrittenSpan);
                    send.Write(_publish.WrittenSpan);
                    _control.Clear();
                    _publish.Clear();
                    ReleaseDrainWaiters();
                }
            }

            if (wait is not null)
            {
                await wait.ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                continue;
            }

            await stream.WriteAsync(send.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            send.Clear();
        }
    }

    public void Dispose()
    {
        _control.Dispose();
        _publish.Dispose();
    }

    private void WakeForCancel()
    {
        lock (Gate)
        {
            Signal();
        }
    }

    private void ReleaseDrainWaiters()
    {
        var drained = _drained;
        _drained = null;
        drained?.TrySetResult();
    }
}
