namespace Macula;

/// <summary>
/// How one provided service is advertised and run: its version, zone and tags go into the signed provider record,
/// where clients route by them (<see cref="ClientOptions.VersionRange"/>, <see cref="ClientOptions.PreferredZone"/>,
/// <see cref="ClientOptions.RequiredTags"/>), and its own server filters run inside the node's. Pass it to <see cref="MaculaNode.ProvideAsync{TService}(TService, ProviderOptions, CancellationToken)"/>.
/// </summary>
public sealed record ProviderOptions
{
    /// <summary>No version, the node's zone, no tags, no filters of its own.</summary>
    public static ProviderOptions Default { get; } = new();

    /// <summary>
    /// The provider's semantic version (<c>major.minor.patch[-prerelease][+build]</c>, for example <c>2.1.0</c>): of
    /// the contract or of the app, as the realm agrees. <see langword="null"/> (the default): none is advertised, and a
    /// client that requires a <see cref="ClientOptions.VersionRange"/> does not call this provider.
    /// </summary>
    public string? Version { get; init; }

    /// <summary>
    /// The zone or region the provider runs in (for example <c>eu-west</c>); <see langword="null"/> (the default) uses
    /// <see cref="MaculaNodeOptions.Zone"/>. Letters, digits, '-', '_' and '.', at most 64 characters.
    /// </summary>
    public string? Zone { get; init; }

    /// <summary>
    /// Custom tags clients can require (<see cref="ClientOptions.RequiredTags"/>), for example <c>tier=gold</c>. Names:
    /// letters, digits, '-', '_' and '.', at most 64 characters; values: printable, at most 256 characters; at most 32 tags.
    /// </summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Server filters of this service, run after (inside) the node's <see cref="MaculaNodeOptions.ServerFilters"/>, in order.</summary>
    public IReadOnlyList<IMaculaServerFilter> Filters { get; init; } = [];

    internal void Validate()
    {
        FilterList.Validate(Filters, "ProviderOptions.Filters");
        if (Version is not null && !SemanticVersion.TryParse(Version, out _, out string? error))
        {
            throw new ArgumentException($"ProviderOptions.Version '{Version}' is not a semantic version: it {error}.", nameof(Version));
        }

        if (Zone is not null && Validation.ZoneProblem(Zone) is { } zone)
        {
            throw new ArgumentException($"ProviderOptions.Zone '{Zone}' {zone}.", nameof(Zone));
        }

        ArgumentNullException.ThrowIfNull(Tags, nameof(Tags));
        if (Tags.Count > Validation.MaxTags)
        {
            throw new ArgumentException($"ProviderOptions.Tags has {Tags.Count} tags, more than {Validation.MaxTags}.", nameof(Tags));
        }

        foreach (var (name, value) in Tags)
        {
            if (Validation.TagProblem(name, value) is { } problem)
            {
                throw new ArgumentException($"ProviderOptions.Tags['{name}'] {problem}.", nameof(Tags));
            }
        }
    }
}

/// <summary>Checks of the filter lists every options record carries.</summary>
internal static class FilterList
{
    public static void Validate<T>(IReadOnlyList<T>? filters, string name)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(filters, name);
        for (int i = 0; i < filters.Count; i++)
        {
            if (filters[i] is null)
            {
                throw new ArgumentNullException(name, $"{name}[{i}] is null.");
            }
        }
    }

    /// <summary>
    /// The chain of <paramref name="filters"/> around <paramref name="innermost"/>, the first outermost: each filter's
    /// <c>next</c> is the rest of the chain (<paramref name="invoke"/> calls one filter with its context and next).
    /// </summary>
    public static Func<TContext, ValueTask> Chain<TFilter, TContext>(IReadOnlyList<TFilter> filters, Func<TContext, ValueTask> innermost, Func<TFilter, TContext, Func<TContext, ValueTask>, ValueTask> invoke)
        where TFilter : class
    {
        var chain = innermost;
        for (int i = filters.Count - 1; i >= 0; i--)
        {
            var filter = filters[i];
            var next = chain;
            chain = context => invoke(filter, context, next);
        }

        return chain;
    }

    /// <summary><paramref name="first"/> then <paramref name="second"/>, without a copy when either is empty.</summary>
    public static IReadOnlyList<T> Concat<T>(IReadOnlyList<T> first, IReadOnlyList<T> second) =>
        second.Count == 0 ? first : first.Count == 0 ? second : [.. first, .. second];
}
