using Macula.Serialization;

namespace Macula.Nats.Coalescing;

/// <summary>
/// The calls to one subject (one provider) waiting to go out together. A call joins the batch being filled; the
/// first to join schedules one flush on the thread pool, so the batch takes every call made before the pool gets to
/// it, and a full batch goes out at once. Nothing waits on a timer: with one call in flight there is no batch at all
/// (<see cref="NatsTransport"/> sends it directly).
/// </summary>
internal sealed class RequestBatcher(NatsTransport owner, string subject, int maxBytes) : Batcher(owner, maxBytes)
{
    private List<long> _calls = new(CoalescingLimits.MaxCalls);

    /// <summary>Adds a call, as a frame written now (the caller may reuse its buffers once this returns).</summary>
    public void Add(long id, string replyTo, ReadOnlyMemory<byte> payload, Transport.MaculaHeaders? headers)
    {
        Decision decision;
        lock (Gate)
        {
            _calls.Add(id);
            decision = Write(replyTo, headers, payload.Span, sendNow: false);
        }

        After(decision);
    }

    protected override object? TakeBatch()
    {
        var calls = _calls;
        _calls = new List<long>(CoalescingLimits.MaxCalls);
        return calls;
    }

    protected override void Send(PooledBufferWriter body, int count, object? taken) => Owner.SendRequestBatch(subject, body, (List<long>)taken!);
}
