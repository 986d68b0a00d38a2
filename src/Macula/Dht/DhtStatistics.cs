namespace Macula.Dht;

/// <summary>Counters of one DHT node, for the CLI's stats and for tests; updated without locks.</summary>
internal sealed class DhtStatistics
{
    private long _lookups;
    private long _lookupRounds;
    private long _lookupMessages;
    private long _requestsSent;
    private long _requestsFailed;
    private long _requestsReceived;
    private long _messagesDropped;
    private long _evictions;
    private long _rejected;

    /// <summary>Lookups run by this node (node and value lookups alike).</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>Sum of the rounds of every lookup (a round is one hop further from the node's own table).</summary>
    public long LookupRounds => Interlocked.Read(ref _lookupRounds);

    /// <summary>Sum of the requests sent by every lookup.</summary>
    public long LookupMessages => Interlocked.Read(ref _lookupMessages);

    /// <summary>Requests this node sent (lookups, stores, deletes, pings).</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>Requests that got no usable reply.</summary>
    public long RequestsFailed => Interlocked.Read(ref _requestsFailed);

    /// <summary>Requests this node answered.</summary>
    public long RequestsReceived => Interlocked.Read(ref _requestsReceived);

    /// <summary>Messages dropped as malformed, oversized or unanswerable.</summary>
    public long MessagesDropped => Interlocked.Read(ref _messagesDropped);

    /// <summary>Contacts evicted from a full bucket because they failed a PING.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Records, withdrawals and replies refused by the signature, trust or ownership rules.</summary>
    public long Rejections => Interlocked.Read(ref _rejected);

    public void Rejected() => Interlocked.Increment(ref _rejected);

    public void RecordLookup(int rounds, int messages)
    {
        Interlocked.Increment(ref _lookups);
        Interlocked.Add(ref _lookupRounds, rounds);
        Interlocked.Add(ref _lookupMessages, messages);
    }

    public void RequestSent() => Interlocked.Increment(ref _requestsSent);

    public void RequestFailed() => Interlocked.Increment(ref _requestsFailed);

    public void RequestReceived() => Interlocked.Increment(ref _requestsReceived);

    public void MessageDropped() => Interlocked.Increment(ref _messagesDropped);

    public void Evicted() => Interlocked.Increment(ref _evictions);
}
