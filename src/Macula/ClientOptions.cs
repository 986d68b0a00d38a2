namespace Macula;

/// <summary>Options of a typed client created by <see cref="MaculaNode.CreateClient{TService}(ClientOptions?)"/>.</summary>
public sealed record ClientOptions
{
    /// <summary>The defaults: random selection, min(3, providers) attempts, 30 s per call.</summary>
    public static ClientOptions Default { get; } = new();

    /// <summary>How a provider is chosen for each attempt. Default <see cref="SelectionStrategy.Random"/>.</summary>
    public SelectionStrategy Strategy { get; init; } = SelectionStrategy.Random;

    /// <summary>Maximum attempts per call; <see langword="null"/> means min(3, number of providers).</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>
    /// The time one call may take in all: discovery, every attempt and failover (a method's
    /// <c>[MaculaMethod(TimeoutMs)]</c> and <see cref="CallOptions.Timeout"/> override it). Default 30 seconds.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest one attempt may take, so a slow provider leaves time to fail over; null (the default): an attempt
    /// may use all the time the call has left.
    /// </summary>
    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>Client filters of this client, run after (inside) the node's <see cref="MaculaNodeOptions.ClientFilters"/>, in order.</summary>
    public IReadOnlyList<IMaculaClientFilter> Filters { get; init; } = [];

    /// <summary>
    /// Hedging for idempotent methods: when the first attempt has not answered after this long, a second attempt
    /// starts on another provider; the first answer wins and the other attempt is cancelled. Null (the default): off.
    /// </summary>
    public TimeSpan? HedgeAfter { get; init; }

    /// <summary>Compression of the calls this client sends; <see langword="null"/> (the default) uses the node's.</summary>
    public CompressionOptions? Compression { get; init; }

    /// <summary>Flow control (window) and idle timeout of the server streams this client opens.</summary>
    public StreamOptions Streams { get; init; } = StreamOptions.Default;

    internal void Validate()
    {
        (Streams ?? throw new ArgumentNullException(nameof(Streams), "ClientOptions.Streams must not be null.")).Validate();
        Compression?.Validate(nameof(ClientOptions));
        Validation.Require(Validation.MaxAttemptsProblem(MaxAttempts), nameof(ClientOptions), nameof(MaxAttempts), MaxAttempts);
        Validation.Require(Validation.TimeoutProblem(Timeout), nameof(ClientOptions), nameof(Timeout), Timeout);
        Validation.Require(Validation.AttemptTimeoutProblem(AttemptTimeout), nameof(ClientOptions), nameof(AttemptTimeout), AttemptTimeout);
        Validation.Require(Validation.HedgeAfterProblem(HedgeAfter), nameof(ClientOptions), nameof(HedgeAfter), HedgeAfter);
        FilterList.Validate(Filters, "ClientOptions.Filters");
    }
}
