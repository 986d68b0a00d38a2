namespace Macula;

/// <summary>What happened in a node, for logs and tools.</summary>
public enum MaculaEventKind
{
    /// <summary>The node started.</summary>
    Started,
    /// <summary>A service was advertised (or re-advertised).</summary>
    Advertised,
    /// <summary>A service was withdrawn.</summary>
    Withdrawn,
    /// <summary>A call failed over from one provider to another.</summary>
    Failover,
    /// <summary>A provider's circuit breaker changed state.</summary>
    CircuitChanged,
    /// <summary>A malformed or unexpected message was dropped.</summary>
    BadMessage,
    /// <summary>A background task failed.</summary>
    Error,
    /// <summary>The node stopped.</summary>
    Stopped,
}
