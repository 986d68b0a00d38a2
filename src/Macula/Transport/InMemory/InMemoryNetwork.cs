using System.Collections.Concurrent;
using Macula.Transport;

namespace Macula.Transport.InMemory;

/// <summary>
/// An in-process message bus: every transport created on one network can reach the others, with NATS subject
/// semantics. Needs no server; used by the quickstart, tests and simulations. Faults can be injected per transport
/// (<see cref="InMemoryTransport.Faults"/>).
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, InMemorySubscription[]> _exact = new(StringComparer.Ordinal);
    private InMemorySubscription[] _wildcards = [];
    private int _nextTransportId;

    /// <summary>The largest message accepted, in bytes: payload and headers together, counted as NATS does (default 1 MiB, as a NATS server).</summary>
    public int MaxPayload { get; init; } = 1024 * 1024;


    /// <summary>Creates a transport attached to this network.</summary>
    public InMemoryTransport CreateTransport() => new(this, Interlocked.Increment(ref _nextTransportId));

    internal void Add(InMemorySubscription subscription)
    {
        if (subscription.IsWildcard)
        {
            lock (_gate)
            {
                _wildcards = [.. _wildcards, subscription];
            }
        }
        else
        {
            _exact.AddOrUpdate(subscription.Subject, static (_, s) => [s], static (_, old, s) => [.. old, s], subscription);
        }
    }

    internal void Remove(InMemorySubscription subscription)
    {
        if (subscription.IsWildcard)
        {
            lock (_gate)
            {
                _wildcards = Array.FindAll(_wildcards, s => !ReferenceEquals(s, subscription));
            }

            return;
        }

        while (_exact.TryGetValue(subscription.Subject, out var old))
        {
            var updated = Array.FindAll(old, s => !ReferenceEquals(s, subscription));
            if (updated.Length == 0 ? _exact.TryRemove(new(subscription.Subject, old)) : _exact.TryUpdate(subscription.Subject, updated, old))
            {
                return;
            }
        }
    }

    /// <summary>Delivers a message; returns how many subscribers it was routed to (faulty subscribers included).</summary>
    internal int Route(InMemoryTransport sender, TransportMessage message)
    {
        if (sender.Faults.Partitioned && sender.Faults.AppliesTo(message.Subject))
        {
            return 0;
        }

        int routed = 0;
        Dictionary<string, List<InMemorySubscription>>? groups = null;
        if (_exact.TryGetValue(message.Subject, out var exact))
        {
            foreach (var s in exact)
            {
                routed += Offer(s, message, ref groups);
            }
        }

        var wildcards = Volatile.Read(ref _wildcards);
        foreach (var s in wildcards)
        {
            if (SubjectMatcher.Matches(s.Subject, message.Subject))
            {
                routed += Offer(s, message, ref groups);
            }
        }

        if (groups is not null)
        {
            foreach (var group in groups.Values)
            {
                // One member, picked at random; past it to the next when it closed in the meantime.
                int first = Random.Shared.Next(group.Count);
                for (int i = 0; i < group.Count; i++)
                {
                    if (group[(first + i) % group.Count].Deliver(message))
                    {
                        routed++;
                        break;
                    }
                }
            }
        }

        return routed;
    }

    private static int Offer(InMemorySubscription s, TransportMessage message, ref Dictionary<string, List<InMemorySubscription>>? groups)
    {
        var faults = s.Owner.Faults;
        if (s.Owner.IsClosed || ((faults.Partitioned || faults.NoResponders) && faults.AppliesTo(message.Subject)))
        {
            return 0;
        }

        if (s.QueueGroup is null)
        {
            // A subscription closing right now did not take it: not counted, so a request to it alone finds no responders.
            return s.Deliver(message) ? 1 : 0;
        }

        groups ??= new Dictionary<string, List<InMemorySubscription>>(StringComparer.Ordinal);
        if (!groups.TryGetValue(s.QueueGroup, out var list))
        {
            groups[s.QueueGroup] = list = [];
        }

        list.Add(s);
        return 0;
    }
}
