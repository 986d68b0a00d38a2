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
    /// Writes one frame (under <see cref="Gate"/>, which the caller holds); returns whether the batch must go now
    /// (full, or <paramref name="sendNow"/>) and otherwise whether this frame must schedule the flush.
    /// </summary>
    protected (bool FlushNow, bool Schedule) Write(string subject, Transport.MaculaHeaders? headers, ReadOnlySpan<byte> payload, bool sendNow)
    {
        _body ??= new PooledBufferWriter();
        BatchFrames.Write(_body, subject, headers, payload);
        Count++;
        bool flushNow = sendNow || Count >= CoalescingLimits.MaxCalls || _body.WrittenCount >= maxBytes;
        bool schedule = !flushNow && !_scheduled;
        _scheduled |= schedule;
        return (flushNow, schedule);
    }

    /// <summary>After <see cref="Write"/>, outside the lock: sends the batch, or schedules its flush.</summary>
    protected void After((bool FlushNow, bool Schedule) decision)
    {
        if (decision.FlushNow)
        {
            Flush();
        }
        else if (decision.Schedule)
        {
            owner.ScheduleFlush(this);
        }
    }

    /// <summary>Sends the batch being filled, if it has frames: <see cref="Send"/> gets its body and its count.</summary>
    protected void Flush()
    {
        PooledBufferWriter body;
        int count;
        object? taken;
        lock (Gate)
        {
            if (Count == 0)
            {
                return;
            }

            body = _body!;
            count = Count;
            _body = null;
            Count = 0;
            taken = TakeBatch();
        }

        Send(body, count, taken);
    }

    /// <summary>Under <see cref="Gate"/>: the batch being filled is taken; a subclass returns its own state of it, for <see cref="Send"/>.</summary>
    protected virtual object? TakeBatch() => null;

    /// <summary>Sends one batch (outside the lock); owns <paramref name="body"/>; <paramref name="taken"/> is what <see cref="TakeBatch"/> returned for it.</summary>
    protected abstract void Send(PooledBufferWriter body, int count, object? taken);
}
