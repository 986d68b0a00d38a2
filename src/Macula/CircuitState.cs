namespace Macula;

/// <summary>The state of a provider's circuit breaker.</summary>
public enum CircuitState
{
    /// <summary>Calls flow normally.</summary>
    Closed = 0,

    /// <summary>Too many consecutive failures: the provider is avoided until its cooldown ends.</summary>
    Open = 1,

    /// <summary>The cooldown ended: one trial call decides whether the circuit closes again.</summary>
    HalfOpen = 2,
}
