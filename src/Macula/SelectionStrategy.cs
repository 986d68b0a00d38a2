namespace Macula;

/// <summary>How a client picks one provider among those discovered for a service.</summary>
public enum SelectionStrategy
{
    /// <summary>Uniformly random among healthy providers. The default.</summary>
    Random = 0,

    /// <summary>Always the first provider in the (node id ordered) list; deterministic, for tests.</summary>
    First = 1,

    /// <summary>Cycles through the providers with one counter per service.</summary>
    RoundRobin = 2,

    /// <summary>Power of two choices on the number of calls in flight to each provider.</summary>
    LeastOutstanding = 3,

    /// <summary>Power of two choices on an EWMA of latency, penalised by calls in flight.</summary>
    LatencyAware = 4,
}
