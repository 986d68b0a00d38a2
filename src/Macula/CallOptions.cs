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

    /// <summary>
    /// Overrides the time the whole call may take (discovery, every attempt and failover) for these calls; the
    /// client's <see cref="ClientOptions.Timeout"/> otherwise. Combined with <see cref="Deadline"/>, the earlier wins.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The time by which these calls must be done (each call from its own start on: a fixed point in time, so a
    /// <c>WithOptions</c> view with a deadline is meant for the calls of one operation). Past it, a call fails with
    /// <see cref="MaculaErrorCode.DeadlineExceeded"/>.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>
    /// Overrides the longest one attempt may take (<see cref="ClientOptions.AttemptTimeout"/>); an attempt never
    /// runs past the call's deadline either way.
    /// </summary>
    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>
    /// Whether a call made while serving another call (<see cref="MaculaCallContext.Current"/> is set) inherits its
    /// remaining deadline and its cancellation. Null (the default) and true: it does; false: the call stands alone.
    /// </summary>
    public bool? PropagateDeadline { get; init; }

    /// <summary>Metadata sent with these calls (docs/rpc-semantics.md, "Metadata"); client filters may add to it per call.</summary>
    public MaculaMetadata? Metadata { get; init; }

    /// <summary>Called with the provider's response metadata when a reply carries some (ok or error).</summary>
    public Action<MaculaMetadata>? OnResponseMetadata { get; init; }

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
        Deadline = Deadline ?? earlier.Deadline,
        AttemptTimeout = AttemptTimeout ?? earlier.AttemptTimeout,
        PropagateDeadline = PropagateDeadline ?? earlier.PropagateDeadline,
        HedgeAfter = HedgeAfter ?? earlier.HedgeAfter,
        Metadata = Metadata ?? earlier.Metadata,
        OnResponseMetadata = OnResponseMetadata ?? earlier.OnResponseMetadata,
    };

    internal void Validate()
    {
        Validation.Require(Validation.MaxAttemptsProblem(MaxAttempts), nameof(CallOptions), nameof(MaxAttempts), MaxAttempts);
        Validation.Require(Validation.TimeoutProblem(Timeout), nameof(CallOptions), nameof(Timeout), Timeout);
        Validation.Require(Validation.AttemptTimeoutProblem(AttemptTimeout), nameof(CallOptions), nameof(AttemptTimeout), AttemptTimeout);
        Validation.Require(Validation.HedgeAfterProblem(HedgeAfter), nameof(CallOptions), nameof(HedgeAfter), HedgeAfter);
        if (Metadata is not null)
        {
            Validation.CheckMetadataSize(Metadata, "CallOptions.Metadata");
        }
    }
}
