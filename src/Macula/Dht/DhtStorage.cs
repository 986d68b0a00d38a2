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

    /// <summary>The key takes no newcomer right now (too many at once, or from senders that never proved their key).</summary>
    Throttled,

    /// <summary>The node id is held by a record signed with another key, and the new record's claim to it is not bound.</summary>
    Conflict,
}

/// <summary>What happened to a withdrawal offered to <see cref="DhtStorage.Delete"/>.</summary>
internal enum DeleteOutcome
{
    /// <summary>The provider's record was removed (and the withdrawal kept).</summary>
    Removed,

    /// <summary>No record was removed; the withdrawal is kept (or a later one already was).</summary>
    Marked,

    /// <summary>The provider was re-advertised after the withdrawal: the newer advertisement wins.</summary>
    Stale,

    /// <summary>The record is held under another key: only its owner may withdraw it.</summary>
    NotOwner,

    /// <summary>No room for the withdrawal marker.</summary>
    Full,
}

/// <summary>
/// The provider records one node holds for the keys it is close to. Per key, a list of signed records merged by node
/// id, each expiring on its own TTL (from its advertised_at), and the signed withdrawal markers left by DELETE, so
/// that a replica that missed the DELETE cannot bring a withdrawn provider back by republishing it.
/// <para>
/// Everything offered here was verified by <see cref="DhtSecurity"/> first. Storage adds the ownership rules: a node
/// id belongs to the key that signed its record (a claim not bound to its key cannot take it over while the record
/// lives), a withdrawal only counts for records of its own key, and a key admits newcomers at a bounded rate
/// (<see cref="DhtOptions.NewEntriesPerKeyBurst"/>, and a smaller share for senders that never proved their key).
/// </para>
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

    /// <summary>
    /// Stores one record under <paramref name="key"/>: the same node id updates in place, other providers stay.
    /// <paramref name="bound"/> says whether the record's node id is bound to its key by itself (derived or
    /// certified); <paramref name="verifiedSender"/> whether whoever sent it proved its own key.
    /// </summary>
    public StoreOutcome Store(DhtId key, SignedRecord signed, DateTimeOffset now, bool bound = true, bool verifiedSender = true)
    {
        if (signed.Record.IsExpired(now))
        {
            return StoreOutcome.Expired;
        }

        lock (_gate)
        {
            _entries.TryGetValue(key, out var entry);
            entry ??= new Entry();
            var outcome = StoreCore(entry, signed, bound, verifiedSender, now);
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
    /// Withdraws a provider of <paramref name="key"/>: its record goes unless it was advertised later or signed with
    /// another key, and a marker stays so that copies of the old record are refused.
    /// </summary>
    public DeleteOutcome Delete(DhtId key, Tombstone withdrawal, DateTimeOffset now, bool bound = true, bool verifiedSender = true)
    {
        string nodeId = withdrawal.NodeId;
        var withdrawnAt = withdrawal.WithdrawnAt;
        lock (_gate)
        {
            _entries.TryGetValue(key, out var entry);
            entry ??= new Entry();
            var outcome = DeleteOutcome.Marked;
            if (entry.Records.TryGetValue(nodeId, out var record))
            {
                if (!SameKey(record.Seal, withdrawal.Seal) && !bound)
                {
                    return DeleteOutcome.NotOwner;
                }

                if (record.AdvertisedAt > withdrawnAt)
                {
                    // Re-advertised after this withdrawal was issued: the newer advertisement wins.
                    return DeleteOutcome.Stale;
                }

                entry.Records.Remove(nodeId);
                _count--;
                outcome = DeleteOutcome.Removed;
            }

            if (entry.Tombstones.TryGetValue(nodeId, out var existing))
            {
                // The first key to mark a name keeps it, unless the newcomer's claim is bound to its key.
                if ((SameKey(existing.Seal, withdrawal.Seal) && withdrawnAt > existing.WithdrawnAt) || (!SameKey(existing.Seal, withdrawal.Seal) && bound))
                {
                    entry.Tombstones[nodeId] = withdrawal;
                }
            }
            else if (withdrawnAt + _options.MaxRecordTtl > now)
            {
                if (CheckRoom(entry, now, verifiedSender) == Room.Yes)
                {
                    entry.Tombstones[nodeId] = withdrawal;
                    _count++;
                }
                else if (outcome != DeleteOutcome.Removed)
                {
                    outcome = DeleteOutcome.Full;
                }
            }

            if (entry.IsEmpty)
            {
                _entries.Remove(key);
            }
            else
            {
                _entries[key] = entry;
            }

            return outcome;
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
    public (List<SignedRecord> Records, List<Tombstone> Tombstones) Get(DhtId key, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return ([], []);
            }

            Purge(key, entry, now);
            return ([.. entry.Records.Values], [.. entry.Tombstones.Values]);
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
    public List<(DhtId Key, List<SignedRecord> Records)> TakeDueForRepublish(DateTimeOffset now)
    {
        var due = new List<(DhtId, List<SignedRecord>)>();
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
                    due.Add((key, new List<SignedRecord>(entry.Records.Values)));
                }
            }
        }

        return due;
    }

    private StoreOutcome StoreCore(Entry entry, SignedRecord signed, bool bound, bool verifiedSender, DateTimeOffset now)
    {
        var record = signed.Record;
        if (record.Ttl > _options.MaxRecordTtl)
        {
            signed = signed with { Record = record with { Ttl = _options.MaxRecordTtl } };
        }

        if (entry.Tombstones.TryGetValue(record.NodeId, out var withdrawal) && SameKey(withdrawal.Seal, signed.Seal))
        {
            if (record.AdvertisedAt <= withdrawal.WithdrawnAt)
            {
                return StoreOutcome.Stale;
            }

            entry.Tombstones.Remove(record.NodeId);
            _count--;
        }

        if (entry.Records.TryGetValue(record.NodeId, out var existing))
        {
            if (!SameKey(existing.Seal, signed.Seal))
            {
                if (!bound && !existing.Record.IsExpired(now))
                {
                    return StoreOutcome.Conflict;
                }
            }
            else if (existing.AdvertisedAt > record.AdvertisedAt)
            {
                return StoreOutcome.Stale;
            }

            entry.Records[record.NodeId] = signed;
            return StoreOutcome.Updated;
        }

        switch (CheckRoom(entry, now, verifiedSender))
        {
            case Room.Full:
                return StoreOutcome.Full;
            case Room.Throttled:
                return StoreOutcome.Throttled;
        }

        entry.Records[record.NodeId] = signed;
        _count++;
        return StoreOutcome.Added;
    }

    private static bool SameKey(Seal a, Seal b) => a.PublicKey.AsSpan().SequenceEqual(b.PublicKey);

    private enum Room
    {
        Yes,
        Full,
        Throttled,
    }

    private Room CheckRoom(Entry entry, DateTimeOffset now, bool verifiedSender)
    {
        if (entry.Records.Count + entry.Tombstones.Count >= _options.MaxProvidersPerKey)
        {
            PurgeEntry(entry, now);
            if (entry.Records.Count + entry.Tombstones.Count >= _options.MaxProvidersPerKey)
            {
                return Room.Full;
            }
        }

        if (_count >= _options.MaxRecordsPerNode)
        {
            foreach (var (key, other) in _entries)
            {
                Purge(key, other, now);
            }

            if (_count >= _options.MaxRecordsPerNode)
            {
                return Room.Full;
            }
        }

        return entry.Admit(now, verifiedSender, _options) ? Room.Yes : Room.Throttled;
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
        foreach (var (nodeId, signed) in entry.Records)
        {
            if (signed.Record.IsExpired(now))
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

        foreach (var (nodeId, marker) in entry.Tombstones)
        {
            // A marker outlives every record it can refuse: none lives longer than MaxRecordTtl.
            if (marker.WithdrawnAt + _options.MaxRecordTtl <= now)
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
        private double _tokens = double.NaN;
        private double _unverifiedTokens = double.NaN;
        private DateTimeOffset _refilledAt;

        public Dictionary<string, SignedRecord> Records { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Tombstone> Tombstones { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset RepublishAt { get; set; }

        public bool IsEmpty => Records.Count == 0 && Tombstones.Count == 0;

        /// <summary>
        /// Takes a token for one newcomer (a record or marker of a node id the key does not hold): the key's bucket
        /// always, and the smaller bucket shared by every sender that never proved its key when the sender did not.
        /// Updates of held entries never take a token, so a provider already known keeps its place in a flood.
        /// </summary>
        public bool Admit(DateTimeOffset now, bool verifiedSender, DhtOptions options)
        {
            if (double.IsNaN(_tokens))
            {
                _tokens = options.NewEntriesPerKeyBurst;
                _unverifiedTokens = options.NewEntriesPerKeyBurstUnverified;
                _refilledAt = now;
            }

            double seconds = Math.Max(0, (now - _refilledAt).TotalSeconds);
            _refilledAt = now;
            _tokens = Math.Min(options.NewEntriesPerKeyBurst, _tokens + (seconds * options.NewEntriesPerKeyPerSecond));
            _unverifiedTokens = Math.Min(options.NewEntriesPerKeyBurstUnverified, _unverifiedTokens + (seconds * options.NewEntriesPerKeyPerSecond / 8));
            if (_tokens < 1 || (!verifiedSender && _unverifiedTokens < 1))
            {
                return false;
            }

            _tokens--;
            if (!verifiedSender)
            {
                _unverifiedTokens--;
            }

            return true;
        }
    }
}
