using Macula.Discovery;

namespace Macula.Dht;

/// <summary>What happened to one record offered to <see cref="DhtStorage.Store"/>.</summary>
internal enum StoreOutcome
{
    /// <summary>A new provider of the key.</summary>
    Added,

    /// <summary>The provider's record replaced an older (or equally old) one.</summary>
    Updated,

    /// <summary>A newer record of the provider, or a later withdrawal of it, is already held.</summary>
    Stale,

    /// <summary>The record had expired already.</summary>
    Expired,

    /// <summary>The key or the node holds as many records as its bounds allow.</summary>
    Full,
}

/// <summary>
/// The provider records one node holds for the keys it is close to. Per key, a list of records merged by node id,
/// each expiring on its own TTL (from its advertised_at), and the withdrawal markers left by DELETE, so that a
/// replica that missed the DELETE cannot bring a withdrawn provider back by republishing it.
/// </summary>
internal sealed class DhtStorage
{
    private readonly object _gate = new();
    private readonly Dictionary<DhtId, Entry> _entries = [];
    private readonly DhtOptions _options;
    private readonly Random _random;
    private int _count;

    public DhtStorage(DhtOptions options, Random random)
    {
        _options = options;
        _random = random;
    }

    /// <summary>Records and withdrawal markers held, over all keys.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Keys held.</summary>
    public int KeyCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Stores one record under <paramref name="key"/>: the same node id updates in place, other providers stay.</summary>
    public StoreOutcome Store(DhtId key, ProviderRecord record, DateTimeOffset now)
    {
        if (record.Ttl > _options.MaxRecordTtl)
        {
            record = record with { Ttl = _options.MaxRecordTtl };
        }

        if (record.IsExpired(now))
        {
            return StoreOutcome.Expired;
        }

        lock (_gate)
        {
            _entries.TryGetValue(key, out var entry);
            entry ??= new Entry();
            var outcome = StoreCore(entry, record, now);
            if (outcome is StoreOutcome.Added or StoreOutcome.Updated)
            {
                // Whoever stored this key just now reached the other replicas too, so this one need not republish soon.
                entry.RepublishAt = now + Jitter(_options.RepublishInterval);

                // Set even when the entry existed: making room may have purged it from the table meanwhile.
                _entries[key] = entry;
            }

            return outcome;
        }
    }

    /// <summary>
    /// Withdraws provider <paramref name="nodeId"/> of <paramref name="key"/> as of <paramref name="withdrawnAt"/>:
    /// its record goes unless it was advertised later, and a marker stays so that copies of the old record are refused.
    /// </summary>
    /// <returns>Whether a record was removed.</returns>
    public bool Delete(DhtId key, string nodeId, DateTimeOffset withdrawnAt, DateTimeOffset now)
    {
        lock (_gate)
        {
            _entries.TryGetValue(key, out var entry);
            entry ??= new Entry();
            bool removed = false;
            if (entry.Records.TryGetValue(nodeId, out var record))
            {
                if (record.AdvertisedAt > withdrawnAt)
                {
                    // Re-advertised after this withdrawal was issued: the newer advertisement wins.
                    return false;
                }

                entry.Records.Remove(nodeId);
                _count--;
                removed = true;
            }

            if (entry.Tombstones.TryGetValue(nodeId, out var existing))
            {
                if (withdrawnAt > existing)
                {
                    entry.Tombstones[nodeId] = withdrawnAt;
                }
            }
            else if (withdrawnAt + _options.MaxRecordTtl > now && HasRoom(entry, now))
            {
                entry.Tombstones[nodeId] = withdrawnAt;
                _count++;
            }

            if (entry.IsEmpty)
            {
                _entries.Remove(key);
            }
            else
            {
                _entries[key] = entry;
            }

            return removed;
        }
    }

    /// <summary>Every key held.</summary>
    public List<DhtId> Keys()
    {
        lock (_gate)
        {
            return [.. _entries.Keys];
        }
    }

    /// <summary>The live records and withdrawal markers of <paramref name="key"/>.</summary>
    public (List<ProviderRecord> Records, List<Tombstone> Tombstones) Get(DhtId key, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return ([], []);
            }

            Purge(key, entry, now);
            var records = new List<ProviderRecord>(entry.Records.Values);
            var tombstones = new List<Tombstone>(entry.Tombstones.Count);
            foreach (var (nodeId, at) in entry.Tombstones)
            {
                tombstones.Add(new Tombstone(nodeId, at));
            }

            return (records, tombstones);
        }
    }

    /// <summary>Removes every expired record and marker; returns how many went.</summary>
    public int Expire(DateTimeOffset now)
    {
        lock (_gate)
        {
            int before = _count;
            foreach (var (key, entry) in _entries)
            {
                Purge(key, entry, now);
            }

            return before - _count;
        }
    }

    /// <summary>The keys whose republish time has come, with their live records; their next time is set.</summary>
    public List<(DhtId Key, List<ProviderRecord> Records)> TakeDueForRepublish(DateTimeOffset now)
    {
        var due = new List<(DhtId, List<ProviderRecord>)>();
        lock (_gate)
        {
            foreach (var (key, entry) in _entries)
            {
                if (entry.RepublishAt > now)
                {
                    continue;
                }

                Purge(key, entry, now);
                entry.RepublishAt = now + Jitter(_options.RepublishInterval);
                if (entry.Records.Count > 0)
                {
                    due.Add((key, new List<ProviderRecord>(entry.Records.Values)));
                }
            }
        }

        return due;
    }

    private StoreOutcome StoreCore(Entry entry, ProviderRecord record, DateTimeOffset now)
    {
        if (entry.Tombstones.TryGetValue(record.NodeId, out var withdrawnAt))
        {
            if (record.AdvertisedAt <= withdrawnAt)
            {
                return StoreOutcome.Stale;
            }

            entry.Tombstones.Remove(record.NodeId);
            _count--;
        }

        if (entry.Records.TryGetValue(record.NodeId, out var existing))
        {
            if (existing.AdvertisedAt > record.AdvertisedAt)
            {
                return StoreOutcome.Stale;
            }

            entry.Records[record.NodeId] = record;
            return StoreOutcome.Updated;
        }

        if (!HasRoom(entry, now))
        {
            return StoreOutcome.Full;
        }

        entry.Records[record.NodeId] = record;
        _count++;
        return StoreOutcome.Added;
    }

    private bool HasRoom(Entry entry, DateTimeOffset now)
    {
        if (entry.Records.Count + entry.Tombstones.Count >= _options.MaxProvidersPerKey)
        {
            PurgeEntry(entry, now);
            if (entry.Records.Count + entry.Tombstones.Count >= _options.MaxProvidersPerKey)
            {
                return false;
            }
        }

        if (_count >= _options.MaxRecordsPerNode)
        {
            foreach (var (key, other) in _entries)
            {
                Purge(key, other, now);
            }

            return _count < _options.MaxRecordsPerNode;
        }

        return true;
    }

    private void Purge(DhtId key, Entry entry, DateTimeOffset now)
    {
        PurgeEntry(entry, now);
        if (entry.IsEmpty)
        {
            // Removing the current key while enumerating is allowed for Dictionary in .NET Core 3.0+.
            _entries.Remove(key);
        }
    }

    private void PurgeEntry(Entry entry, DateTimeOffset now)
    {
        List<string>? gone = null;
        foreach (var (nodeId, record) in entry.Records)
        {
            if (record.IsExpired(now))
            {
                (gone ??= []).Add(nodeId);
            }
        }

        if (gone is not null)
        {
            foreach (var nodeId in gone)
            {
                entry.Records.Remove(nodeId);
                _count--;
            }

            gone.Clear();
        }

        foreach (var (nodeId, at) in entry.Tombstones)
        {
            // A marker outlives every record it can refuse: none lives longer than MaxRecordTtl.
            if (at + _options.MaxRecordTtl <= now)
            {
                (gone ??= []).Add(nodeId);
            }
        }

        if (gone is not null)
        {
            foreach (var nodeId in gone)
            {
                if (entry.Tombstones.Remove(nodeId))
                {
                    _count--;
                }
            }
        }
    }

    private TimeSpan Jitter(TimeSpan interval) => interval * (1 + (0.5 * _random.NextDouble()));

    private sealed class Entry
    {
        public Dictionary<string, ProviderRecord> Records { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, DateTimeOffset> Tombstones { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset RepublishAt { get; set; }

        public bool IsEmpty => Records.Count == 0 && Tombstones.Count == 0;
    }
}
