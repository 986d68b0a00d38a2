using Macula.Serialization;

namespace Macula.Nats.Coalescing;

/// <summary>
/// A provider's replies to one client (one reply inbox prefix) that sent it batches of calls. The provider knows how
/// many calls of those batches it has not answered yet: while more are coming, a reply joins a batch that one
/// scheduled flush sends; the reply that leaves none outstanding sends the batch at once. With nothing outstanding and
/// nothing waiting, a reply goes out on its own as usual.
/// </summary>
internal sealed class ReplyBatcher(NatsTransport owner, string prefix, int maxBytes) : Batcher(owner, maxBytes)
{
    private int _outstanding;

    /// <summary>The subject the batches go to: the client's inbox prefix and <see cref="BatchFrames.RepliesToken"/>.</summary>
    public string Subject { get; } = prefix + BatchFrames.RepliesToken;

    /// <summary><paramref name="calls"/> more calls of this client arrived in a batch.</summary>
    public void Expect(int calls)
    {
        lock (Gate)
        {
            _outstanding = Math.Min(_outstanding + calls, BatchFrames.MaxFrames * 4);
        }
    }

    /// <summary>Adds a reply to the batch; false when it should go out on its own instead (nothing to share a message with, or too large).</summary>
    public bool TryAdd(string subject, ReadOnlyMemory<byte> payload, Transport.MaculaHeaders? headers)
    {
        Decision decision;
        lock (Gate)
        {
            if (_outstanding > 0)
            {
                _outstanding--;
            }

            if ((Count == 0 && _outstanding == 0) || payload.Length > MaxBytes / 4)
            {
                return false;
            }

            decision = Write(subject, headers, payload.Span, sendNow: _outstanding == 0);
        }

        After(decision);
        return true;
    }

    protected override void Send(PooledBufferWriter body, int count, object? taken) => Owner.SendReplyBatch(Subject, body, count);
}
