namespace Macula;

/// <summary>Settings of the per-provider circuit breaker.</summary>
public sealed record CircuitBreakerOptions
{
    /// <summary>The defaults: open after 5 consecutive failures, 1 s cooldown doubling up to 30 s.</summary>
    public static CircuitBreakerOptions Default { get; } = new();

    /// <summary>Consecutive failures that open the circuit. Default 5.</summary>
    public int FailureThreshold { get; init; } = 5;

    /// <summary>The first cooldown before a half-open trial. Default 1 s.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest cooldown; each failed trial doubles the previous one up to this. Default 30 s.</summary>
    public TimeSpan MaxCooldown { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (FailureThreshold < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(FailureThreshold), FailureThreshold, "CircuitBreakerOptions.FailureThreshold must be at least 1.");
        }

        if (Cooldown <= TimeSpan.Zero || MaxCooldown < Cooldown)
        {
            throw new ArgumentOutOfRangeException(nameof(Cooldown), Cooldown, "CircuitBreakerOptions.Cooldown must be positive and not above MaxCooldown.");
        }
    }
}
