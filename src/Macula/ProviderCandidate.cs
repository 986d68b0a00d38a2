namespace Macula;

/// <summary>One provider a selector may choose: its record, where it runs, and its health as this client sees it.</summary>
public readonly struct ProviderCandidate
{
    internal ProviderCandidate(ProviderRecord record, string? zone, bool isLocal, int inFlight, double latencyEwmaMs, int position)
    {
        Record = record;
        Zone = zone;
        IsLocal = isLocal;
        InFlight = inFlight;
        LatencyEwmaMs = latencyEwmaMs;
        Position = position;
    }

    /// <summary>The signed provider record (node id, subject, version, zone, tags, metadata).</summary>
    public ProviderRecord Record { get; }

    /// <summary>The provider's node id.</summary>
    public string NodeId => Record.NodeId;

    /// <summary>The provider's zone, or <see langword="null"/>.</summary>
    public string? Zone { get; }

    /// <summary>Whether the provider runs on this node: the call is dispatched in-process, without the transport.</summary>
    public bool IsLocal { get; }

    /// <summary>Calls of this client's node in flight to the provider now.</summary>
    public int InFlight { get; }

    /// <summary>An EWMA of the provider's latency in milliseconds as this node measured it; 0 before the first answer.</summary>
    public double LatencyEwmaMs { get; }

    /// <summary>Where the provider stands in the discovered (node id ordered) list.</summary>
    internal int Position { get; }
}
