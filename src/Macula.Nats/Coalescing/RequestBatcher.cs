using Macula.Serialization;

namespace Macula.Nats.Coalescing;

/// <summary>
/// The calls to one subject (one provider) waiting to go out together. A call joins the batch being filled; the
/// first to join schedules one flush on the thread pool, so the batch takes every call made before the pool gets to
/// it, and a full batch goes out at once. Nothing waits on a timer: with one call in flight there is no batch at all
/// (<see cref="NatsTransport"/> sends it directly).
/// </summary>
internal sealed class RequestBatcher(NatsTransport owner, string subject, int maxBytes) : IThreadPoolWorkItem
{
    private readonly Lock _gate = new();
    private PooledBufferWriter? _body;
    private List<long> _calls = new(CoalescingLimits.MaxCalls);
    private bool _scheduled;

    public string Subject => subject;

    /// <summary>Adds a call, as a frame written now (the caller may reuse its buffers once this returns).</summary>
    public void Add(long id, string replyTo, ReadOnlyMemory<byte> payload, Transport.MaculaHeaders? headers)
    {
        bool flushNow, schedule = false;
        lock (_gate)
        {
            _body ??= new PooledBufferWriter();
            BatchFrames.Write(_body, replyTo, headers, payload.Span);
            _calls.Add(id);
            flushNow = _calls.Count >= CoalescingLimits.MaxCalls || _body.WrittenCount >= maxBytes;
            if (!flushNow && !_scheduled)
            {
                _scheduled = schedule = true;
            }
        }

        if (flushNow)
        {
            Flush();
        }
        else if (schedule)
        {
            owner.ScheduleFlush(this);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        lock (_gate)
        {
            _scheduled = false;
        }

        Flush();
    }

    private void Flush()
    {
        PooledBufferWriter? body;
        List<long> calls;
        lock (_gate)
        {
            if (_calls.Count == 0)
            {
                return;
            }

            body = _body;
            calls = _calls;
            _body = null;
            _calls = new List<long>(CoalescingLimits.MaxCalls);
        }

        owner.SendRequestBatch(subject, body!, calls);
    }
}
