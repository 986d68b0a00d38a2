namespace Macula.Discovery;

/// <summary>An immutable snapshot of a service's providers, shared by every call until it expires.</summary>
internal sealed class ProviderSet(ProviderEntry[] entries, long expiresAt, DateTimeOffset firstRecordExpiry)
{
    public static readonly ProviderSet Empty = new([], 0, DateTimeOffset.MaxValue);

    public ProviderEntry[] Entries { get; } = entries;

    /// <summary>TimeProvider timestamp after which the cache entry is stale.</summary>
    public long ExpiresAt { get; } = expiresAt;

    /// <summary>When the first of the records expires on its own TTL (then the set is pruned).</summary>
    public DateTimeOffset FirstRecordExpiry { get; } = firstRecordExpiry;
}
