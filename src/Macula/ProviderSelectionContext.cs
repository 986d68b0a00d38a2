namespace Macula;

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
