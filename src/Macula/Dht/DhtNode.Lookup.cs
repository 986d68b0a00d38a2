using Macula.Discovery;

namespace Macula.Dht;

/// <summary>The result of one iterative lookup.</summary>
internal sealed class LookupResult
{
    /// <summary>Up to K nodes closest to the target that answered, nearest first.</summary>
    public List<DhtContact> Closest { get; } = [];

    /// <summary>
    /// For a value lookup: every verified provider record seen, merged by node id (a record whose claim is bound to
    /// its key beats one that is not; then the newest advertised_at wins).
    /// </summary>
    public Dictionary<string, (SignedRecord Signed, bool Bound)> Records { get; } = new(StringComparer.Ordinal);

    /// <summary>For a value lookup: every verified withdrawal seen, latest per node id and key.</summary>
    public List<Tombstone> Withdrawals { get; } = [];

    /// <summary>For a value lookup: the nodes that answered with at least one record or withdrawal.</summary>
    public List<DhtContact> Holders { get; } = [];

    /// <summary>The greatest hop count of a node that answered: 1 when only the node's own contacts were asked.</summary>
    public int Rounds { get; set; }

    /// <summary>Requests sent.</summary>
    public int Messages { get; set; }

    /// <summary>Requests that got no reply.</summary>
    public int Failures { get; set; }

    /// <summary>
    /// Merges what a replica returned, after checking every record and withdrawal as a replica would: a replica is
    /// not trusted to have done it, so a forged record is never returned, whoever held it.
    /// </summary>
    public void Merge(DhtNode node, DhtId key, IReadOnlyList<SignedRecord> records, IReadOnlyList<Tombstone> tombstones, DateTimeOffset now, DhtContact from)
    {
        foreach (var signed in records)
        {
            var verdict = node.Security.Check(key, signed, now);
            if (!verdict.Accepted)
            {
                node.Reject($"record returned by {from}: {verdict.Reason}");
                continue;
            }

            if (!Records.TryGetValue(signed.NodeId, out var known) ||
                (verdict.NameBound && !known.Bound) ||
                (verdict.NameBound == known.Bound && signed.AdvertisedAt > known.Signed.AdvertisedAt))
            {
                Records[signed.NodeId] = (signed, verdict.NameBound);
            }
        }

        foreach (var t in tombstones)
        {
            var verdict = node.Security.Check(key, t, now);
            if (!verdict.Accepted)
            {
                node.Reject($"DELETE marker returned by {from}: {verdict.Reason}");
                continue;
            }

            Withdrawals.Add(t);
        }
    }

    /// <summary>
    /// The records neither expired at <paramref name="now"/> nor withdrawn by their own key after they were
    /// advertised, by node id, each carrying its verified public key.
    /// </summary>
    public List<ProviderRecord> LiveRecords(DateTimeOffset now)
    {
        var live = new List<ProviderRecord>(Records.Count);
        foreach (var (signed, _) in Records.Values)
        {
            var record = signed.Record;
            if (record.IsExpired(now) || IsWithdrawn(signed))
            {
                continue;
            }

            live.Add(record.PublicKey is null ? record with { PublicKey = signed.Seal.PublicKeyText } : record);
        }

        live.Sort(static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
        return live;
    }

    private bool IsWithdrawn(SignedRecord signed)
    {
        foreach (var t in Withdrawals)
        {
            if (string.Equals(t.NodeId, signed.NodeId, StringComparison.Ordinal) && t.WithdrawnAt >= signed.AdvertisedAt &&
                t.Seal.PublicKey.AsSpan().SequenceEqual(signed.Seal.PublicKey))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed partial class DhtNode
{
    /// <summary>
    /// The iterative Kademlia lookup: starting from the K closest contacts of the routing table, keep
    /// <see cref="DhtOptions.Alpha"/> requests in flight to the closest nodes not yet asked, add the nodes they
    /// return, and stop when the K closest nodes that did not fail have all answered. A value lookup
    /// (FIND_VALUE) does not stop at the first value: it gathers and merges the records of every one of those K
    /// nodes, so a replica that missed an update cannot hide a provider.
    /// </summary>
    /// <param name="target">The id looked up.</param>
    /// <param name="findValue">Whether to send FIND_VALUE (gathering records) rather than FIND_NODE.</param>
    /// <param name="cancellationToken">Stops the lookup.</param>
    /// <param name="width">
    /// How many closest nodes must answer before the lookup ends: K (the default) for anything that stores or
    /// reads a key; a bucket refresh only needs to meet some nodes of the bucket and uses less.
    /// </param>
    public async Task<LookupResult> LookupAsync(DhtId target, bool findValue, CancellationToken cancellationToken, int width = 0)
    {
        width = width > 0 ? Math.Min(width, Options.K) : Options.K;
        var now = Time.GetUtcNow();
        Routing.MarkLookup(target, now);
        var result = new LookupResult();
        if (findValue)
        {
            var (records, tombstones) = Storage.Get(target, now);
            result.Merge(this, target, records, tombstones, now, Self);
        }

        var candidates = new CandidateList(target, width);
        foreach (var contact in Routing.FindClosest(target, Options.K))
        {
            candidates.Add(contact, 0);
        }

        var inFlight = new List<Task<(Candidate Candidate, DhtResponse? Response)>>(Options.Alpha);
        while (true)
        {
            while (inFlight.Count < Options.Alpha && candidates.TakeNext() is { } next)
            {
                result.Messages++;
                inFlight.Add(QueryAsync(next, target, findValue, cancellationToken));
            }

            if (inFlight.Count == 0)
            {
                break;
            }

            var done = inFlight.Count == 1 ? inFlight[0] : await Task.WhenAny(inFlight).ConfigureAwait(false);
            inFlight.Remove(done);
            var (candidate, response) = await done.ConfigureAwait(false);
            if (response is null)
            {
                candidate.State = CandidateState.Failed;
                result.Failures++;
                continue;
            }

            candidate.State = CandidateState.Answered;
            result.Rounds = Math.Max(result.Rounds, candidate.Hop + 1);
            IReadOnlyList<DhtContact> contacts;
            if (response is ValueResponse value)
            {
                contacts = value.Contacts;
                if (value.Records.Count > 0 || value.Tombstones.Count > 0)
                {
                    result.Merge(this, target, value.Records, value.Tombstones, Time.GetUtcNow(), candidate.Contact);
                    result.Holders.Add(candidate.Contact);
                }
            }
            else
            {
                contacts = ((NodesResponse)response).Contacts;
            }

            foreach (var contact in contacts)
            {
                if (contact.Id != Self.Id)
                {
                    candidates.Add(contact, candidate.Hop + 1);
                }
            }
        }

        Stats.RecordLookup(result.Rounds, result.Messages);
        result.Closest.AddRange(candidates.Answered(width));
        return result;
    }

    private async Task<(Candidate, DhtResponse?)> QueryAsync(Candidate candidate, DhtId target, bool findValue, CancellationToken cancellationToken)
    {
        DhtRequest request = findValue ? new FindValueRequest(Self, target) { FromClient = IsClient } : new FindNodeRequest(Self, target) { FromClient = IsClient };
        var response = await SendAsync(candidate.Contact, request, cancellationToken).ConfigureAwait(false);
        return (candidate, response);
    }

    private enum CandidateState
    {
        New,
        InFlight,
        Answered,
        Failed,
    }

    private sealed class Candidate
    {
        public Candidate(DhtContact contact, int hop)
        {
            Contact = contact;
            Hop = hop;
        }

        public DhtContact Contact { get; }

        public int Hop { get; }

        public CandidateState State { get; set; }
    }

    /// <summary>The nodes a lookup knows of, nearest to the target first.</summary>
    private sealed class CandidateList
    {
        private readonly List<Candidate> _sorted = new(64);
        private readonly HashSet<DhtId> _seen = [];
        private readonly DhtId _target;
        private readonly int _k;

        public CandidateList(DhtId target, int k)
        {
            _target = target;
            _k = k;
        }

        public void Add(DhtContact contact, int hop)
        {
            if (!_seen.Add(contact.Id))
            {
                return;
            }

            int lo = 0;
            int hi = _sorted.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (DhtId.CompareDistance(_target, _sorted[mid].Contact.Id, contact.Id) < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            _sorted.Insert(lo, new Candidate(contact, hop));
        }

        /// <summary>The nearest node not yet asked among the K nearest that have not failed, now marked in flight.</summary>
        public Candidate? TakeNext()
        {
            int live = 0;
            foreach (var c in _sorted)
            {
                if (c.State == CandidateState.Failed)
                {
                    continue;
                }

                if (++live > _k)
                {
                    return null;
                }

                if (c.State == CandidateState.New)
                {
                    c.State = CandidateState.InFlight;
                    return c;
                }
            }

            return null;
        }

        public List<DhtContact> Answered(int count)
        {
            var result = new List<DhtContact>(count);
            foreach (var c in _sorted)
            {
                if (c.State == CandidateState.Answered)
                {
                    result.Add(c.Contact);
                    if (result.Count == count)
                    {
                        break;
                    }
                }
            }

            return result;
        }
    }
}
