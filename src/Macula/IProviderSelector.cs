namespace Macula;

/// <summary>
/// A policy that picks the provider of one attempt (<see cref="ClientOptions.Selector"/>). The client has already
/// narrowed the candidates: providers not yet tried in this call, whose contract matches the method, whose version and
/// tags match the client's <see cref="ClientOptions.VersionRange"/> and <see cref="ClientOptions.RequiredTags"/>, and,
/// in this order while any is left, the healthy local ones (<see cref="ClientOptions.PreferLocal"/>), the healthy ones
/// of the preferred zone, the healthy ones of every zone, then any (<see cref="ProviderSelectionContext.Scope"/>).
/// The selector only chooses among them. It runs on every attempt: keep it allocation-free and thread-safe.
/// </summary>
/// <remarks>The built-in strategies are selectors too: <see cref="ProviderSelectors.For(SelectionStrategy)"/>.</remarks>
public interface IProviderSelector
{
    /// <summary>Picks one of <see cref="ProviderSelectionContext.Candidates"/> (never empty).</summary>
    /// <returns>The index of the choice in <see cref="ProviderSelectionContext.Candidates"/>, and why (for the attempt span).</returns>
    ProviderChoice Select(ProviderSelectionContext context);
}

/// <summary>What an <see cref="IProviderSelector"/> chose.</summary>
/// <param name="Index">The index in <see cref="ProviderSelectionContext.Candidates"/>; out of range means no choice (the call fails over to the next scope).</param>
/// <param name="Reason">
/// Why, as a short constant (<c>random</c>, <c>round_robin</c>, <c>least_outstanding</c>...): the attempt span's
/// <c>macula.provider.selection_reason</c> tag.
/// </param>
public readonly record struct ProviderChoice(int Index, string Reason);

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

/// <summary>What a selector chooses among, for one attempt.</summary>
public readonly ref struct ProviderSelectionContext
{
    private readonly ref long _counter;

    internal ProviderSelectionContext(string service, string method, string scope, ReadOnlySpan<ProviderCandidate> candidates, int providerCount, ref long counter)
    {
        ProviderCount = providerCount;
        Service = service;
        Method = method;
        Scope = scope;
        Candidates = candidates;
        _counter = ref counter;
    }

    /// <summary>The service called.</summary>
    public string Service { get; }

    /// <summary>The method called.</summary>
    public string Method { get; }

    /// <summary>Which providers the candidates are: <c>local</c>, <c>zone</c>, <c>any</c> or <c>degraded</c> (see <see cref="IProviderSelector"/>).</summary>
    public string Scope { get; }

    /// <summary>How many providers were discovered; <see cref="ProviderCandidate"/> positions run from 0 to this - 1.</summary>
    public int ProviderCount { get; }

    /// <summary>The candidates, in node id order; never empty.</summary>
    public ReadOnlySpan<ProviderCandidate> Candidates { get; }

    /// <summary>
    /// The next number of a counter this client keeps per service, shared by its views (what round robin cycles on):
    /// 0, 1, 2, ... Thread-safe.
    /// </summary>
    public long NextTicket() => Interlocked.Increment(ref _counter) - 1;
}
