using Macula.Serialization;

namespace Macula.Nats.Coalescing;

/// <summary>
/// A provider's replies to one client (one reply inbox prefix) that sent it batches of calls. The provider knows how
/// many calls of those batches it has not answered yet: while more are coming, a reply joins a batch that one
/// scheduled flush sends; the reply that leaves none outstanding sends the batch at once. With nothing outstanding and
/// nothing waiting, a reply goes out on its own as usual.
/// </summary>
internal sealed class ReplyBatcher(NatsTransport owner, string prefix, int maxBytes) : IThreadPoolWorkItem
{
    private readonly Lock _gate = new();
    private PooledBufferWriter? _body;
    private int _count;
    private int _outstanding;
    private bool _scheduled;

    /// <summary>The subject the batches go to: the client's inbox prefix and <see cref="BatchFrames.RepliesToken"/>.</summary>
    public string Subject { get; } = prefix + BatchFrames.RepliesToken;

    /// <summary><paramref name="calls"/> more calls of this client arrived in a batch.</summary>
    public void Expect(int calls)
    {
        lock (_gate)
        {
            _outstanding = Math.Min(_outstanding + calls, BatchFrames.MaxFrames * 4);
        }
    }

    /// <summary>Adds a reply to the batch; false when it should go out on its own instead (nothing to share a message with, or too large).</summary>
    public bool TryAdd(string subject, ReadOnlyMemory<byte> payload, Transport.MaculaHeaders? headers)
    {
        bool flushNow, schedule = false;
        lock (_gate)
        {
            if (_outstanding > 0)
            {
                _outstanding--;
            }

            if ((_count == 0 && _outstanding == 0) || payload.Length > maxBytes / 2)
            {
                return false;
            }

            _body ??= new PooledBufferWriter();
            BatchFrames.Write(_body, subject, headers, payload.Span);
            _count++;
            flushNow = _outstanding == 0 || _count >= CoalescingLimits.MaxCalls || _body.WrittenCount >= maxBytes;
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

        return true;
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
        int count;
        lock (_gate)
        {
            if (_count == 0)
            {
                return;
            }

            body = _body;
            count = _count;
            _body = null;
            _count = 0;
        }

        owner.SendReplyBatch(Subject, body!, count);
    }
}
