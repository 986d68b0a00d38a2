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

    // Routing (docs/rpc-semantics.md, "Routing"): filters first, then preferences, then the selector.

    /// <summary>
    /// The provider versions this client calls, in npm range syntax: <c>^2.0</c> (2.x), <c>~2.1</c> (2.1.x),
    /// <c>&gt;=2.0 &lt;3.0</c>, <c>2.1.0</c>, alternatives joined by <c>||</c>. Providers without a
    /// <see cref="ProviderOptions.Version"/> are not called. <see langword="null"/> (the default): any version.
    /// </summary>
    public string? VersionRange { get; init; }

    /// <summary>Tags a provider must carry, each with this value (<see cref="ProviderOptions.Tags"/>). <see langword="null"/> (the default): none.</summary>
    public IReadOnlyDictionary<string, string>? RequiredTags { get; init; }

    /// <summary>
    /// The zone whose healthy providers are chosen first; others are chosen only when it has none left (zone-aware
    /// failover). <see langword="null"/> (the default) prefers <see cref="MaculaNodeOptions.Zone"/>, if set.
    /// </summary>
    public string? PreferredZone { get; init; }

    /// <summary>
    /// Whether a healthy provider on this node is chosen before any other (even of the preferred zone). A call to
    /// a local provider is dispatched in-process whether or not this is set (arguments and reply still go through
    /// MessagePack, so nothing is shared). Default <see langword="false"/>: local providers are chosen like others.
    /// </summary>
    public bool PreferLocal { get; init; }

    /// <summary>
    /// A custom selection policy; when set, it replaces <see cref="Strategy"/> (and <see cref="CallOptions.Strategy"/>).
    /// <see langword="null"/> (the default): <see cref="ProviderSelectors.For(SelectionStrategy)"/> of the strategy.
    /// </summary>
    public IProviderSelector? Selector { get; init; }

    internal void Validate()
    {
        (Streams ?? throw new ArgumentNullException(nameof(Streams), "ClientOptions.Streams must not be null.")).Validate();
        Compression?.Validate(nameof(ClientOptions));
        Validation.Require(Validation.MaxAttemptsProblem(MaxAttempts), nameof(ClientOptions), nameof(MaxAttempts), MaxAttempts);
        Validation.Require(Validation.TimeoutProblem(Timeout), nameof(ClientOptions), nameof(Timeout), Timeout);
        Validation.Require(Validation.AttemptTimeoutProblem(AttemptTimeout), nameof(ClientOptions), nameof(AttemptTimeout), AttemptTimeout);
        Validation.Require(Validation.HedgeAfterProblem(HedgeAfter), nameof(ClientOptions), nameof(HedgeAfter), HedgeAfter);

        if (VersionRange is not null && !Macula.VersionRange.TryParse(VersionRange, out _, out string? range))
        {
            throw new ArgumentException($"ClientOptions.VersionRange '{VersionRange}' is not a version range: it {range}. Use for example ^2.0, ~2.1, >=2.0 <3.0 or 2.1.0.", nameof(VersionRange));
        }

        if (RequiredTags is not null)
        {
            foreach (var (name, value) in RequiredTags)
            {
                if (Validation.TagProblem(name, value) is { } problem)
                {
                    throw new ArgumentException($"ClientOptions.RequiredTags['{name}'] {problem}.", nameof(RequiredTags));
                }
            }
        }

        if (PreferredZone is not null && Validation.ZoneProblem(PreferredZone) is { } zone)
        {
            throw new ArgumentException($"ClientOptions.PreferredZone '{PreferredZone}' {zone}.", nameof(PreferredZone));
        }

        FilterList.Validate(Filters, "ClientOptions.Filters");
    }
}
