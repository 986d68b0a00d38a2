namespace Macula.Nats.Coalescing;

/// <summary>
/// The calls of the batches sent lately, by batch id, so that the server's no-responders status to a batch (sent
/// within milliseconds when nobody is subscribed) fails every call in it at once. Holds the last
/// <see cref="Capacity"/> batches; a call of an older one whose provider vanished waits for its timeout instead.
/// </summary>
internal sealed class BatchWatch
{
    public const int Capacity = 1024;

    private readonly Dictionary<long, List<long>> _batches = [];
    private readonly Queue<long> _order = new();
    private readonly Lock _gate = new();
    private long _nextId;

    public long Add(List<long> calls)
    {
        lock (_gate)
        {
            long id = ++_nextId;
            _batches.Add(id, calls);
            _order.Enqueue(id);
            if (_order.Count > Capacity)
            {
                _batches.Remove(_order.Dequeue());
            }

            return id;
        }
    }

    public List<long>? TryRemove(long id)
    {
        lock (_gate)
        {
            return _batches.Remove(id, out var calls) ? calls : null;
        }
    }
}
