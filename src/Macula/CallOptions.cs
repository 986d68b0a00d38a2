namespace Macula;

/// <summary>Per-call options, applied through <see cref="MaculaClientExtensions.WithOptions{TService}(TService, CallOptions)"/>.</summary>
public sealed record CallOptions
{
    /// <summary>No overrides: every call runs under its client's options.</summary>
    public static CallOptions Default { get; } = new();

    /// <summary>Overrides the client's strategy for these calls.</summary>
    public SelectionStrategy? Strategy { get; init; }

    /// <summary>Overrides the maximum number of attempts for these calls.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Overrides the per-attempt timeout for these calls.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Overrides the client's hedging delay for these calls (idempotent methods only).</summary>
    public TimeSpan? HedgeAfter { get; init; }

    /// <summary>
    /// These options laid over <paramref name="earlier"/> ones (a view of a view): what these set wins, what they leave
    /// unset keeps the earlier value.
    /// </summary>
    internal CallOptions Over(CallOptions? earlier) => earlier is null ? this : new CallOptions
    {
        Strategy = Strategy ?? earlier.Strategy,
        MaxAttempts = MaxAttempts ?? earlier.MaxAttempts,
        Timeout = Timeout ?? earlier.Timeout,
        HedgeAfter = HedgeAfter ?? earlier.HedgeAfter,
    };

    internal void Validate()
    {
        Validation.Require(Validation.MaxAttemptsProblem(MaxAttempts), nameof(CallOptions), nameof(MaxAttempts), MaxAttempts);
        Validation.Require(Validation.TimeoutProblem(Timeout), nameof(CallOptions), nameof(Timeout), Timeout);
        Validation.Require(Validation.HedgeAfterProblem(HedgeAfter), nameof(CallOptions), nameof(HedgeAfter), HedgeAfter);
    }
}
