using Macula.Serialization;

namespace Macula.Nats.Coalescing;

/// <summary>
/// What a batch of calls and a batch of replies share: frames written under one lock as they come, one flush
/// scheduled by the first frame of a batch (it takes every frame added before the thread pool gets to it), a full
/// batch sent at once by the frame that filled it.
/// </summary>
internal abstract class Batcher(NatsTransport owner, int maxBytes) : IThreadPoolWorkItem
{
    private PooledBufferWriter? _body;
    private bool _scheduled;

    /// <summary>The transport that sends the batches.</summary>
    protected NatsTransport Owner => owner;

    /// <summary>The most bytes of frames one batch carries.</summary>
    protected int MaxBytes => maxBytes;

    /// <summary>Guards the batch being filled; subclasses keep their own per-batch state under it.</summary>
    protected Lock Gate { get; } = new();

    /// <summary>The frames in the batch being filled.</summary>
    protected int Count { get; private set; }

    void IThreadPoolWorkItem.Execute()
    {
        lock (Gate)
        {
            _scheduled = false;
        }

        Flush();
    }

    /// <summary>
    /// Writes one frame (under <see cref="Gate"/>, which the caller holds, after it recorded its own state of the
    /// frame); when the batch must go now (full, or <paramref name="sendNow"/>) takes it here, under the same lock, so
    /// no frame can join it between the decision and the send (a batch never holds more than
    /// <see cref="CoalescingLimits.MaxCalls"/> frames); otherwise says whether this frame must schedule the flush.
    /// </summary>
    protected Decision Write(string subject, Transport.MaculaHeaders? headers, ReadOnlySpan<byte> payload, bool sendNow)
    {
        _body ??= new PooledBufferWriter();
        BatchFrames.Write(_body, subject, headers, payload);
        Count++;
        if (sendNow || Count >= CoalescingLimits.MaxCalls || _body.WrittenCount >= maxBytes)
        {
            return Take();
        }

        bool schedule = !_scheduled;
        _scheduled = true;
        return new Decision(null, 0, null, schedule);
    }

    /// <summary>After <see cref="Write"/>, outside the lock: sends the batch it took, or schedules the flush.</summary>
    protected void After(Decision decision)
    {
        if (decision.Body is not null)
        {
            Send(decision.Body, decision.Count, decision.Taken);
        }
        else if (decision.Schedule)
        {
            owner.ScheduleFlush(this);
        }
    }

    /// <summary>Sends the batch being filled, if it has frames: <see cref="Send"/> gets its body and its count.</summary>
    protected void Flush()
    {
        Decision taken;
        lock (Gate)
        {
            if (Count == 0)
            {
                return;
            }

            taken = Take();
        }

        Send(taken.Body!, taken.Count, taken.Taken);
    }

    /// <summary>Under <see cref="Gate"/>: takes the batch being filled (it has frames).</summary>
    private Decision Take()
    {
        var decision = new Decision(_body, Count, TakeBatch(), Schedule: false);
        _body = null;
        Count = 0;
        return decision;
    }

    /// <summary>Under <see cref="Gate"/>: the batch being filled is taken; a subclass returns its own state of it, for <see cref="Send"/>.</summary>
    protected virtual object? TakeBatch() => null;

    /// <summary>Sends one batch (outside the lock); owns <paramref name="body"/>; <paramref name="taken"/> is what <see cref="TakeBatch"/> returned for it.</summary>
    protected abstract void Send(PooledBufferWriter body, int count, object? taken);

    /// <summary>What a <see cref="Write"/> decided: a batch taken to send now (<see cref="Body"/> set), or whether to schedule the flush.</summary>
    protected readonly record struct Decision(PooledBufferWriter? Body, int Count, object? Taken, bool Schedule);
}
