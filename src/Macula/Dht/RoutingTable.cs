namespace Macula.Dht;

/// <summary>What <see cref="RoutingTable.Touch"/> did with a contact.</summary>
internal enum TouchResult
{
    /// <summary>The contact is this node itself, which no table holds.</summary>
    Self,

    /// <summary>Known already: moved to the most-recently-seen end of its bucket.</summary>
    Updated,

    /// <summary>New, and its bucket had room.</summary>
    Added,

    /// <summary>New, its bucket is full: the least-recently-seen contact must be pinged (see <see cref="RoutingTable.ResolvePing"/>).</summary>
    PingNeeded,

    /// <summary>New, its bucket is full and already pinging its least-recently-seen contact: the newcomer is dropped.</summary>
    Dropped,
}

/// <summary>
/// The Kademlia routing table: bucket i holds up to K contacts whose id shares exactly i leading bits with this
/// node's, least recently seen first. A full bucket keeps its old contacts while they answer (long-lived nodes are
/// the likeliest to stay), so a newcomer only replaces one that failed a PING.
/// </summary>
internal sealed class RoutingTable
{
    private readonly object _gate = new();
    private readonly Bucket?[] _buckets = new Bucket?[DhtId.Bits];
    private int _count;

    public RoutingTable(DhtId self, int k)
    {
        Self = self;
        K = k;
    }

    public DhtId Self { get; }

    public int K { get; }

    /// <summary>Contacts held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Records that <paramref name="contact"/> was seen alive (it sent a request or answered one).</summary>
    /// <param name="contact">The contact seen.</param>
    /// <param name="leastRecent">When <see cref="TouchResult.PingNeeded"/>, the contact to ping.</param>
    public TouchResult Touch(DhtContact contact, out DhtContact? leastRecent)
    {
        leastRecent = null;
        int index = DhtId.BucketIndex(Self, contact.Id);
        if (index >= DhtId.Bits)
        {
            return TouchResult.Self;
        }

        lock (_gate)
        {
            var bucket = _buckets[index] ??= new Bucket();
            var entries = bucket.Entries;
            int at = bucket.IndexOf(contact.Id);
            if (at >= 0)
            {
                var entry = entries[at];
                entry.Failures = 0;
                entries.RemoveAt(at);
                entries.Add(entry);
                return TouchResult.Updated;
            }

            if (entries.Count < K)
            {
                entries.Add(new Entry(contact));
                _count++;
                return TouchResult.Added;
            }

            if (bucket.Pinging is not null)
            {
                return TouchResult.Dropped;
            }

            bucket.Pinging = entries[0].Contact;
            bucket.Candidate = contact;
            leastRecent = bucket.Pinging;
            return TouchResult.PingNeeded;
        }
    }

    /// <summary>
    /// Ends the PING of a full bucket's least-recently-seen contact: if it answered it stays (moved to the
    /// most-recently-seen end) and the newcomer is dropped; if not, it is removed and the newcomer takes its place.
    /// </summary>
    public void ResolvePing(DhtContact leastRecent, bool answered)
    {
        int index = DhtId.BucketIndex(Self, leastRecent.Id);
        if (index >= DhtId.Bits)
        {
            return;
        }

        lock (_gate)
        {
            var bucket = _buckets[index];
            if (bucket is null)
            {
                return;
            }

            var candidate = bucket.Candidate;
            bucket.Pinging = null;
            bucket.Candidate = null;
            int at = bucket.IndexOf(leastRecent.Id);
            if (answered)
            {
                if (at >= 0)
                {
                    var entry = bucket.Entries[at];
                    bucket.Entries.RemoveAt(at);
                    bucket.Entries.Add(entry);
                }

                return;
            }

            if (at >= 0)
            {
                bucket.Entries.RemoveAt(at);
                _count--;
            }

            if (candidate is not null && bucket.Entries.Count < K && bucket.IndexOf(candidate.Id) < 0)
            {
                bucket.Entries.Add(new Entry(candidate));
                _count++;
            }
        }
    }

    /// <summary>
    /// Records that a request to <paramref name="contact"/> failed. It is removed at once when the failure is
    /// definitive (nobody listens on its subject), else after <paramref name="maxFailures"/> failures in a row.
    /// </summary>
    /// <returns>Whether the contact was removed.</returns>
    public bool RecordFailure(DhtContact contact, bool definitive, int maxFailures)
    {
        int index = DhtId.BucketIndex(Self, contact.Id);
        if (index >= DhtId.Bits)
        {
            return false;
        }

        lock (_gate)
        {
            var bucket = _buckets[index];
            int at = bucket?.IndexOf(contact.Id) ?? -1;
            if (at < 0)
            {
                return false;
            }

            var entry = bucket!.Entries[at];
            if (!definitive && ++entry.Failures < maxFailures)
            {
                return false;
            }

            bucket.Entries.RemoveAt(at);
            _count--;
            return true;
        }
    }

    /// <summary>Whether <paramref name="id"/> is in the table.</summary>
    public bool Contains(DhtId id)
    {
        int index = DhtId.BucketIndex(Self, id);
        if (index >= DhtId.Bits)
        {
            return false;
        }

        lock (_gate)
        {
            return _buckets[index]?.IndexOf(id) >= 0;
        }
    }

    /// <summary>The contacts of bucket <paramref name="index"/>, least recently seen first.</summary>
    public List<DhtContact> BucketContents(int index)
    {
        lock (_gate)
        {
            var result = new List<DhtContact>();
            if (_buckets[index] is { } bucket)
            {
                foreach (var entry in bucket.Entries)
                {
                    result.Add(entry.Contact);
                }
            }

            return result;
        }
    }

    /// <summary>Every contact held.</summary>
    public List<DhtContact> All()
    {
        lock (_gate)
        {
            var result = new List<DhtContact>(_count);
            foreach (var bucket in _buckets)
            {
                if (bucket is not null)
                {
                    foreach (var entry in bucket.Entries)
                    {
                        result.Add(entry.Contact);
                    }
                }
            }

            return result;
        }
    }

    /// <summary>
    /// The <paramref name="count"/> contacts closest to <paramref name="target"/>, nearest first, leaving out
    /// <paramref name="exclude"/>. Walks buckets in order of distance instead of sorting the whole table.
    /// </summary>
    public List<DhtContact> FindClosest(DhtId target, int count, DhtId? exclude = null)
    {
        var result = new List<DhtContact>(count + 1);
        int c = DhtId.BucketIndex(Self, target);
        lock (_gate)
        {
            // Bucket c agrees with the target beyond bit c, buckets above c differ from it at bit c only, and each
            // bucket below c differs at an ever higher bit: that is the order of distance.
            for (int i = c; i < DhtId.Bits; i++)
            {
                AddBucket(result, i, exclude);
            }

            SortByDistance(result, target);
            for (int i = c - 1; i >= 0 && result.Count < count; i--)
            {
                int start = result.Count;
                AddBucket(result, i, exclude);
                result.Sort(start, result.Count - start, new DistanceComparer(target));
            }
        }

        if (result.Count > count)
        {
            result.RemoveRange(count, result.Count - count);
        }

        return result;
    }

    /// <summary>Notes a lookup of <paramref name="target"/>, which refreshes the bucket its id falls in.</summary>
    public void MarkLookup(DhtId target, DateTimeOffset now)
    {
        int index = DhtId.BucketIndex(Self, target);
        if (index >= DhtId.Bits)
        {
            return;
        }

        lock (_gate)
        {
            (_buckets[index] ??= new Bucket()).LastLookup = now;
        }
    }

    /// <summary>
    /// The buckets that have seen no lookup within <paramref name="maxAge"/>, from bucket 0 to the deepest
    /// non-empty one (deeper buckets cover ids next to this node's own, which its self-lookups cover).
    /// </summary>
    public List<int> StaleBuckets(DateTimeOffset now, TimeSpan maxAge)
    {
        var stale = new List<int>();
        lock (_gate)
        {
            int deepest = -1;
            for (int i = DhtId.Bits - 1; i >= 0; i--)
            {
                if (_buckets[i] is { Entries.Count: > 0 })
                {
                    deepest = i;
                    break;
                }
            }

            for (int i = 0; i <= deepest; i++)
            {
                var bucket = _buckets[i];
                if (bucket is null || bucket.LastLookup + maxAge <= now)
                {
                    stale.Add(i);
                }
            }
        }

        return stale;
    }

    private void AddBucket(List<DhtContact> result, int index, DhtId? exclude)
    {
        var bucket = _buckets[index];
        if (bucket is null)
        {
            return;
        }

        foreach (var entry in bucket.Entries)
        {
            if (exclude is not { } ex || entry.Contact.Id != ex)
            {
                result.Add(entry.Contact);
            }
        }
    }

    private static void SortByDistance(List<DhtContact> contacts, DhtId target) => contacts.Sort(new DistanceComparer(target));

    private sealed class Bucket
    {
        public List<Entry> Entries { get; } = new(4);

        public DateTimeOffset LastLookup { get; set; } = DateTimeOffset.MinValue;

        public DhtContact? Pinging { get; set; }

        public DhtContact? Candidate { get; set; }

        public int IndexOf(DhtId id)
        {
            for (int i = 0; i < Entries.Count; i++)
            {
                if (Entries[i].Contact.Id == id)
                {
                    return i;
                }
            }

            return -1;
        }
    }

    private sealed class Entry
    {
        public Entry(DhtContact contact) => Contact = contact;

        public DhtContact Contact { get; }

        public int Failures { get; set; }
    }
}

/// <summary>Orders contacts by XOR distance to a target.</summary>
internal readonly struct DistanceComparer : IComparer<DhtContact>
{
    private readonly DhtId _target;

    public DistanceComparer(DhtId target) => _target = target;

    public int Compare(DhtContact? x, DhtContact? y) => DhtId.CompareDistance(_target, x!.Id, y!.Id);
}
