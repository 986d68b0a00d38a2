using System.Collections.Concurrent;
using Macula.Health;

namespace Macula.Discovery;

/// <summary>
/// Caches lookups per service for a TTL (60 s by default). A hit reads one concurrent dictionary and allocates
/// nothing; records are pruned when they pass their own TTL; an entry is invalidated when the RPC layer reports that
/// all of its providers failed. Lookups are single-flight per service and back off when they keep finding the same
/// providers, so failing calls cannot turn into a lookup storm against the DHT (the overload probe of issue 20).
/// </summary>
internal sealed class DiscoveryCache(IServiceRegistry registry, HealthTable health, TimeSpan ttl, TimeProvider time, Action<string>? onLookup = null)
{
    /// <summary>The first step of the refresh backoff (<see cref="RefreshBackoff"/>).</summary>
    internal static readonly TimeSpan RefreshBackoffBase = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest refresh backoff: a new provider is seen at most this late (its announcement is seen at once).</summary>
    internal static readonly TimeSpan RefreshBackoffMax = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, ProviderSet> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<ProviderSet>> _flights = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RecentLookup> _recent = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;
    private long _joined;
    private long _throttled;

    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups sent to the registry.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Refreshes that joined a lookup already running.</summary>
    public long Joined => Interlocked.Read(ref _joined);

    /// <summary>Refreshes served from a lookup that had just finished (the refresh backoff).</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

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

    /// <summary>Drops the cached set and the refresh backoff (a provider announced itself: look at once).</summary>
    public void Invalidate(string service)
    {
        _cache.TryRemove(service, out _);
        _recent.TryRemove(service, out _);
    }

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
        // The set the backoff serves must not bring the provider back.
        while (_recent.TryGetValue(service, out var recent) && Array.FindIndex(recent.Set.Entries, e => e.NodeId == nodeId) is int at and >= 0)
        {
            if (publicKey is not null && !string.Equals(recent.Set.Entries[at].Record.PublicKey, publicKey, StringComparison.Ordinal))
            {
                break;
            }

            var rest = recent.Set.Entries.Where(e => e.NodeId != nodeId).ToArray();
            if (_recent.TryUpdate(service, recent with { Set = new ProviderSet(rest, recent.Set.ExpiresAt, recent.Set.FirstRecordExpiry) }, recent))
            {
                break;
            }
        }

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

    /// <summary>
    /// Looks <paramref name="service"/> up in the registry, unless a lookup of it is running (then joins it: concurrent
    /// refreshes make one lookup) or one finished a moment ago (then serves its result, stale but known: see
    /// <see cref="RefreshBackoff"/>). Each caller's token bounds its own wait, not the shared lookup.
    /// </summary>
    public ValueTask<ProviderSet> RefreshAsync(string service, CancellationToken cancellationToken)
    {
        if (_recent.TryGetValue(service, out var recent) && time.GetTimestamp() < recent.NotBefore)
        {
            Interlocked.Increment(ref _throttled);
            return ValueTask.FromResult(Prune(recent.Set));
        }

        return JoinAsync(service, cancellationToken);
    }

    private async ValueTask<ProviderSet> JoinAsync(string service, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_flights.TryGetValue(service, out var flight))
            {
                Interlocked.Increment(ref _joined);
                return await flight.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            var started = new TaskCompletionSource<ProviderSet>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_flights.TryAdd(service, started.Task))
            {
                _ = RunLookupAsync(service, started);
                return await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunLookupAsync(string service, TaskCompletionSource<ProviderSet> flight)
    {
        _recent.TryGetValue(service, out var previous);
        try
        {
            var set = await LookupAsync(service).ConfigureAwait(false);
            int streak = previous is not null && SameProviders(previous.LookedUp, set) ? previous.Streak + 1 : 0;
            _recent[service] = new RecentLookup(set, set, time.GetTimestamp() + Ticks(RefreshBackoff(streak, Random.Shared.NextDouble())), streak);
            _flights.TryRemove(new(service, flight.Task));
            flight.TrySetResult(set);
        }
        catch (Exception ex)
        {
            // A failing registry is not asked again at once either: the last result (if any) is served meanwhile.
            if (previous is not null)
            {
                int streak = previous.Streak + 1;
                _recent[service] = previous with { NotBefore = time.GetTimestamp() + Ticks(RefreshBackoff(streak, Random.Shared.NextDouble())), Streak = streak };
            }

            _flights.TryRemove(new(service, flight.Task));
            flight.TrySetException(ex);
        }
    }

    /// <summary>
    /// How long after a lookup the next refresh of the service is served from its result instead: none after a
    /// lookup that found something new (so a call whose providers all failed looks afresh at once), then from
    /// <see cref="RefreshBackoffBase"/> doubling with each lookup that found the same providers again, at most
    /// <see cref="RefreshBackoffMax"/>, with equal jitter (half fixed, half random) so clients spread out.
    /// </summary>
    internal static TimeSpan RefreshBackoff(int streak, double jitter)
    {
        if (streak <= 0)
        {
            return TimeSpan.Zero;
        }

        double ceiling = Math.Min(RefreshBackoffMax.TotalMilliseconds, RefreshBackoffBase.TotalMilliseconds * Math.Pow(2, Math.Min(streak - 1, 16)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (0.5 * jitter)));
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private static bool SameProviders(ProviderSet a, ProviderSet b)
    {
        if (a.Entries.Length != b.Entries.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Entries.Length; i++)
        {
            // Both are sorted by node id.
            if (a.Entries[i].NodeId != b.Entries[i].NodeId)
            {
                return false;
            }
        }

        return true;
    }

    private async Task<ProviderSet> LookupAsync(string service)
    {
        Interlocked.Increment(ref _misses);
        MaculaDiagnostics.DiscoveryLookups.Add(1);
        onLookup?.Invoke(service);

        // Not the caller's token: callers share this lookup, and each stops waiting for it on its own token.
        var records = await registry.LookupAsync(service, CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>
    /// The last lookup of a service: what it found, that less the providers evicted since (what a refresh is served),
    /// until when a refresh is served from it, and how many lookups in a row found the same providers.
    /// </summary>
    private sealed record RecentLookup(ProviderSet LookedUp, ProviderSet Set, long NotBefore, int Streak);
}
