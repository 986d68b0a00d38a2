using Macula.Transport;

namespace Macula.Nats.Requests;

/// <summary>The requests waiting for a reply, by the id at the end of their reply subject, and a pool of waiters.</summary>
internal sealed class ReplyTable
{
    private const int MaxPooled = 256;

    private readonly Dictionary<long, PendingReply> _pending = [];
    private readonly Stack<PendingReply> _pool = new();
    private readonly Lock _gate = new();
    private long _nextId;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Adds a new request and returns its waiter; <see cref="PendingReply.Arm"/> starts its clock.</summary>
    public PendingReply Add(int generation, string subject, TimeSpan timeout)
    {
        lock (_gate)
        {
            long id = ++_nextId;
            if (!_pool.TryPop(out var pending))
            {
                pending = new PendingReply(this);
            }

            pending.Prepare(id, generation, subject, timeout);
            _pending.Add(id, pending);
            return pending;
        }
    }

    /// <summary>Removes the request <paramref name="id"/>, whoever holds it.</summary>
    public PendingReply? TryRemove(long id)
    {
        lock (_gate)
        {
            return _pending.Remove(id, out var pending) ? pending : null;
        }
    }

    /// <summary>Removes <paramref name="id"/> only while <paramref name="pending"/> still stands for it.</summary>
    public bool TryRemove(long id, PendingReply pending)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(id, out var current) && ReferenceEquals(current, pending))
            {
                _pending.Remove(id);
                return true;
            }

            return false;
        }
    }

    /// <summary>Fails every request made before connection loss number <paramref name="generation"/>.</summary>
    public void FailOlderThan(int generation, Func<PendingReply, Exception> error)
    {
        List<PendingReply>? lost = null;
        lock (_gate)
        {
            foreach (var (id, pending) in _pending)
            {
                if (pending.Generation < generation)
                {
                    (lost ??= []).Add(pending);
                }
            }

            if (lost is not null)
            {
                foreach (var pending in lost)
                {
                    _pending.Remove(pending.Id);
                }
            }
        }

        if (lost is not null)
        {
            foreach (var pending in lost)
            {
                pending.Fail(error(pending));
            }
        }
    }

    public void Return(PendingReply pending)
    {
        lock (_gate)
        {
            if (_pool.Count < MaxPooled)
            {
                _pool.Push(pending);
            }
        }
    }

    /// <summary>Fails every request waiting (the transport is closing); <paramref name="notDelivered"/> says whether any of them may have gone out.</summary>
    public void FailAll(TransportErrorKind kind, string message, bool notDelivered) =>
        FailOlderThan(int.MaxValue, p => new MaculaTransportException(kind, $"{message} (request on '{p.Subject}').", notDelivered));
}
