using System.Collections.Concurrent;
using Macula.Health;

namespace Macula.Discovery;

/// <summary>
/// Caches lookups per service for a TTL (60 s by default). A hit reads one concurrent dictionary and allocates
/// nothing; records are pruned when they pass their own TTL; an entry is invalidated when the RPC layer reports that
/// all of its providers failed.
/// </summary>
internal sealed class DiscoveryCache(IServiceRegistry registry, HealthTable health, TimeSpan ttl, TimeProvider time, Action<string>? onLookup = null)
{
    private readonly ConcurrentDictionary<string, ProviderSet> _cache = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public ValueTask<ProviderSet> GetAsync(string service, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(service, out var set) && time.GetTimestamp() < set.ExpiresAt)
        {
            if (time.GetUtcNow() < set.FirstRecordExpiry)
            {
                Interlocked.Increment(ref _hits);
                MaculaDiagnostics.DiscoveryCacheHits.Add(1);
                return ValueTask.FromResult(set);
            }

            var pruned = Prune(set);
            _cache.TryUpdate(service, pruned, set);
            Interlocked.Increment(ref _hits);
            return ValueTask.FromResult(pruned);
        }

        return RefreshAsync(service, cancellationToken);
    }

    /// <summary>Drops the cached set if it is still <paramref name="seen"/>, so the next call looks up afresh.</summary>
    public void Invalidate(string service, ProviderSet seen) => _cache.TryRemove(new(service, seen));

    public void Invalidate(string service) => _cache.TryRemove(service, out _);

    /// <summary>
    /// Drops one provider from the cached set, for a provider that is provably gone (nobody listens on its subject,
    /// or it is shutting down), so later calls stop choosing it before its record expires.
    /// </summary>
    public void Evict(string service, string nodeId) => Evict(service, nodeId, publicKey: null);

    /// <summary>
    /// Drops one provider from the cached set when its record was signed by <paramref name="publicKey"/> (any key when
    /// <see langword="null"/>: the caller saw the provider gone itself).
    /// </summary>
    /// <returns>False when the provider is cached under another key (nothing was evicted); true otherwise.</returns>
    public bool Evict(string service, string nodeId, string? publicKey)
    {
        while (_cache.TryGetValue(service, out var set))
        {
            int index = Array.FindIndex(set.Entries, e => e.NodeId == nodeId);
            if (index < 0)
            {
                return true;
            }

            if (publicKey is not null && !string.Equals(set.Entries[index].Record.PublicKey, publicKey, StringComparison.Ordinal))
            {
                return false;
            }

            var kept = new ProviderEntry[set.Entries.Length - 1];
            Array.Copy(set.Entries, 0, kept, 0, index);
            Array.Copy(set.Entries, index + 1, kept, index, kept.Length - index);
            var first = DateTimeOffset.MaxValue;
            foreach (var entry in kept)
            {
                if (entry.Record.ExpiresAt < first)
                {
                    first = entry.Record.ExpiresAt;
                }
            }

            bool done = kept.Length == 0
                ? _cache.TryRemove(new(service, set))
                : _cache.TryUpdate(service, new ProviderSet(kept, set.ExpiresAt, first), set);
            if (done)
            {
                return true;
            }
        }

        return true;
    }

    public async ValueTask<ProviderSet> RefreshAsync(string service, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _misses);
        MaculaDiagnostics.DiscoveryLookups.Add(1);
        onLookup?.Invoke(service);
        var records = await registry.LookupAsync(service, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var entries = new List<ProviderEntry>(records.Count);
        var first = DateTimeOffset.MaxValue;
        foreach (var record in records)
        {
            if (record.IsExpired(now))
            {
                continue;
            }

            entries.Add(new ProviderEntry(record, health.Get(service, record.NodeId)));
            if (record.ExpiresAt < first)
            {
                first = record.ExpiresAt;
            }
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
        var set = new ProviderSet([.. entries], time.GetTimestamp() + (long)(ttl.TotalSeconds * time.TimestampFrequency), first);
        if (set.Entries.Length > 0)
        {
            _cache[service] = set;
        }
        else
        {
            _cache.TryRemove(service, out _);
        }

        return set;
    }

    private ProviderSet Prune(ProviderSet set)
    {
        var now = time.GetUtcNow();
        var kept = new List<ProviderEntry>(set.Entries.Length);
        var first = DateTimeOffset.MaxValue;
        foreach (var entry in set.Entries)
        {
            if (!entry.Record.IsExpired(now))
            {
                kept.Add(entry);
                if (entry.Record.ExpiresAt < first)
                {
                    first = entry.Record.ExpiresAt;
                }
            }
        }

        return new ProviderSet([.. kept], set.ExpiresAt, first);
    }
}
