using Macula.Discovery;

namespace Macula.Dht;

internal sealed partial class DhtNode
{
    // Room left in a STORE for everything but its records: envelope, sender, key and array header.
    private const int StoreOverheadBytes = 512;

    /// <summary>
    /// Stores <paramref name="records"/> under <paramref name="key"/> on the K nodes closest to it (this node included
    /// when it is one of them).
    /// </summary>
    /// <returns>How many nodes took the STORE.</returns>
    public async Task<int> StoreAsync(DhtId key, IReadOnlyList<SignedRecord> records, CancellationToken cancellationToken)
    {
        var lookup = await LookupAsync(key, findValue: false, cancellationToken).ConfigureAwait(false);
        var targets = ReplicaTargets(key, lookup.Closest, out bool self);
        int stored = 0;
        if (self && !IsClient)
        {
            var now = Time.GetUtcNow();
            foreach (var record in records)
            {
                var verdict = Security.Check(key, record, now);
                if (verdict.Accepted)
                {
                    Storage.Store(key, record, now, verdict.NameBound);
                }
            }

            stored++;
        }

        return stored + await StoreOnAsync(targets, key, records, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Withdraws a provider of <paramref name="key"/> on every node that holds the key: the K closest, and any other
    /// node a value lookup found holding it. <paramref name="withdrawal"/> is signed by the provider.
    /// </summary>
    /// <returns>How many nodes took the DELETE.</returns>
    public async Task<int> DeleteAsync(DhtId key, Tombstone withdrawal, CancellationToken cancellationToken)
    {
        var lookup = await LookupAsync(key, findValue: true, cancellationToken).ConfigureAwait(false);
        var targets = new List<DhtContact>(lookup.Closest);
        foreach (var holder in lookup.Holders)
        {
            if (!targets.Contains(holder))
            {
                targets.Add(holder);
            }
        }

        if (!IsClient)
        {
            Storage.Delete(key, withdrawal, Time.GetUtcNow());
        }

        var request = new DeleteRequest(Self, key, withdrawal) { FromClient = IsClient };
        var sends = new Task<DhtResponse?>[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            sends[i] = SendAsync(targets[i], request, cancellationToken);
        }

        int acknowledged = 1;
        foreach (var response in await Task.WhenAll(sends).ConfigureAwait(false))
        {
            if (response is not null)
            {
                acknowledged++;
            }
        }

        return acknowledged;
    }

    /// <summary>The live providers of <paramref name="key"/>, gathered from the K closest nodes, ordered by node id.</summary>
    public async Task<List<ProviderRecord>> FindValueAsync(DhtId key, CancellationToken cancellationToken)
    {
        var lookup = await LookupAsync(key, findValue: true, cancellationToken).ConfigureAwait(false);
        return lookup.LiveRecords(Time.GetUtcNow());
    }

    /// <summary>
    /// One round of upkeep: drops expired records, refreshes buckets that saw no lookup for
    /// <see cref="DhtOptions.RefreshInterval"/>, and stores again on the current K closest nodes every key whose
    /// republish time has come (so a key outlives the nodes that held it).
    /// </summary>
    public async Task RunMaintenanceAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        Storage.Expire(now);
        foreach (int bucket in Routing.StaleBuckets(now, Options.RefreshInterval))
        {
            await RefreshBucketAsync(bucket, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (key, records) in Storage.TakeDueForRepublish(now))
        {
            var lookup = await LookupAsync(key, findValue: false, cancellationToken).ConfigureAwait(false);
            await StoreOnAsync(ReplicaTargets(key, lookup.Closest, out _), key, records, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The other nodes that are, with this one when <paramref name="self"/>, the K nodes closest to
    /// <paramref name="key"/>: a key lives on exactly K replicas, so a DELETE sent to the K closest reaches them all.
    /// </summary>
    private List<DhtContact> ReplicaTargets(DhtId key, List<DhtContact> closestOthers, out bool self)
    {
        int k = Options.K;
        int closer = 0;
        while (closer < closestOthers.Count && DhtId.CompareDistance(key, closestOthers[closer].Id, Self.Id) < 0)
        {
            closer++;
        }

        self = closer < k;
        int count = Math.Min(closestOthers.Count, self ? k - 1 : k);
        return closestOthers.GetRange(0, count);
    }

    private async Task<int> StoreOnAsync(List<DhtContact> targets, DhtId key, IReadOnlyList<SignedRecord> records, CancellationToken cancellationToken)
    {
        var chunks = Chunk(key, records);
        if (chunks.Count == 0 || targets.Count == 0)
        {
            return 0;
        }

        var sends = new Task<bool>[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            sends[i] = StoreOnOneAsync(targets[i], chunks, cancellationToken);
        }

        int stored = 0;
        foreach (bool ok in await Task.WhenAll(sends).ConfigureAwait(false))
        {
            if (ok)
            {
                stored++;
            }
        }

        return stored;
    }

    private async Task<bool> StoreOnOneAsync(DhtContact target, List<StoreRequest> chunks, CancellationToken cancellationToken)
    {
        foreach (var chunk in chunks)
        {
            if (await SendAsync(target, chunk, cancellationToken).ConfigureAwait(false) is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits records into STOREs that each fit <see cref="DhtOptions.MaxMessageBytes"/>.</summary>
    private List<StoreRequest> Chunk(DhtId key, IReadOnlyList<SignedRecord> records)
    {
        var chunks = new List<StoreRequest>(1);
        var current = new List<SignedRecord>(records.Count);
        int budget = Options.MaxMessageBytes - StoreOverheadBytes;
        int used = 0;
        foreach (var record in records)
        {
            int size = DhtCodec.RecordSize(record);
            if (size > Options.MaxRecordBytes)
            {
                Report($"Provider record of {record.NodeId} ({size} bytes) exceeds MaxRecordBytes ({Options.MaxRecordBytes}); not stored.");
                continue;
            }

            if (current.Count > 0 && (used + size > budget || current.Count >= Options.MaxProvidersPerKey))
            {
                chunks.Add(new StoreRequest(Self, key, current) { FromClient = IsClient });
                current = [];
                used = 0;
            }

            current.Add(record);
            used += size;
        }

        if (current.Count > 0)
        {
            chunks.Add(new StoreRequest(Self, key, current) { FromClient = IsClient });
        }

        return chunks;
    }
}
