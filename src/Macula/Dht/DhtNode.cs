namespace Macula.Dht;

/// <summary>
/// One Kademlia node: answers the five DHT requests from its routing table and storage, and runs lookups, stores,
/// deletes and maintenance through an <see cref="IDhtRpc"/>. It knows nothing of subjects or bytes, so the same
/// code serves the real mesh and the large in-process simulation.
/// </summary>
internal sealed partial class DhtNode
{
    // A peer that times out this many times in a row leaves the table; one that has no subscriber leaves at once.
    private const int MaxConsecutiveFailures = 2;

    private readonly IDhtRpc _rpc;
    private readonly object _randomGate = new();
    private readonly Random _random;

    public DhtNode(DhtContact self, DhtOptions options, IDhtRpc rpc, TimeProvider time, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Self = self;
        Options = options;
        _rpc = rpc;
        Time = time;
        _random = seed is { } s ? new Random(s) : new Random();
        Routing = new RoutingTable(self.Id, options.K);
        Storage = new DhtStorage(options, seed is { } s2 ? new Random(s2 ^ 0x5eed) : new Random());
    }

    public DhtContact Self { get; }

    public DhtOptions Options { get; }

    public TimeProvider Time { get; }

    public RoutingTable Routing { get; }

    public DhtStorage Storage { get; }

    public DhtStatistics Stats { get; } = new();

    /// <summary>Receives a line for every dropped message and every failure worth a log entry.</summary>
    public Action<string>? Diagnostic { get; set; }

    /// <summary>Answers one request. Never throws for anything a peer can send.</summary>
    public DhtResponse Handle(DhtRequest request)
    {
        Stats.RequestReceived();
        var now = Time.GetUtcNow();
        Observe(request.Sender);
        switch (request)
        {
            case PingRequest:
                return new PongResponse(Self);
            case FindNodeRequest find:
                return new NodesResponse(Self, Routing.FindClosest(find.Target, Options.K, request.Sender.Id));
            case FindValueRequest find:
                var (records, tombstones) = Storage.Get(find.Key, now);
                return new ValueResponse(Self, Routing.FindClosest(find.Key, Options.K, request.Sender.Id), records, tombstones);
            case StoreRequest store:
                int accepted = 0;
                foreach (var record in store.Records)
                {
                    if (Storage.Store(store.Key, record, now) is StoreOutcome.Added or StoreOutcome.Updated)
                    {
                        accepted++;
                    }
                }

                return new StoredResponse(Self, accepted);
            case DeleteRequest delete:
                return new DeletedResponse(Self, Storage.Delete(delete.Key, delete.NodeId, delete.WithdrawnAt, now));
            default:
                throw new ArgumentException($"Unknown DHT request {request.GetType().Name}.", nameof(request));
        }
    }

    /// <summary>Reports a message dropped by the layer that decodes them.</summary>
    public void ReportDropped(string reason)
    {
        Stats.MessageDropped();
        Report(reason);
    }

    /// <summary>Adds <paramref name="contacts"/> to the routing table as if they had been seen (bootstrap seeds).</summary>
    public void AddContacts(IEnumerable<DhtContact> contacts)
    {
        foreach (var contact in contacts)
        {
            Observe(contact);
        }
    }

    /// <summary>
    /// Joins the network once the routing table holds at least one contact: a lookup of this node's own id fills
    /// the buckets near it, then a lookup in every bucket farther than the nearest neighbour fills the rest.
    /// </summary>
    public async Task JoinAsync(CancellationToken cancellationToken)
    {
        var self = await LookupAsync(Self.Id, findValue: false, cancellationToken).ConfigureAwait(false);
        if (self.Closest.Count == 0)
        {
            return;
        }

        int nearest = DhtId.BucketIndex(Self.Id, self.Closest[0].Id);
        var refreshes = new List<Task>(nearest);
        for (int bucket = 0; bucket < nearest; bucket++)
        {
            refreshes.Add(RefreshBucketAsync(bucket, cancellationToken));
        }

        await Task.WhenAll(refreshes).ConfigureAwait(false);
    }

    /// <summary>Records that <paramref name="contact"/> is alive; a full bucket pings its oldest contact first.</summary>
    public void Observe(DhtContact contact)
    {
        switch (Routing.Touch(contact, out var leastRecent))
        {
            case TouchResult.PingNeeded:
                _ = PingOldestAsync(leastRecent!);
                break;
            case TouchResult.Added when Storage.KeyCount > 0:
                _ = ReplicateToNewcomerAsync(contact);
                break;
        }
    }

    /// <summary>
    /// Hands a node met for the first time the keys it is now one of the K closest to, so a record reaches the nodes
    /// that joined after it was stored without waiting for a republish. Only the known node closest to a key (besides
    /// the newcomer) sends it, so a join costs one STORE per key, not K.
    /// </summary>
    private async Task ReplicateToNewcomerAsync(DhtContact newcomer)
    {
        try
        {
            var now = Time.GetUtcNow();
            foreach (var key in Storage.Keys())
            {
                var closest = Routing.FindClosest(key, Options.K);
                int at = closest.FindIndex(c => c.Id == newcomer.Id);
                if (at < 0)
                {
                    continue;
                }

                var nearestOther = at == 0 ? (closest.Count > 1 ? closest[1] : null) : closest[0];
                if (nearestOther is not null && DhtId.CompareDistance(key, nearestOther.Id, Self.Id) < 0)
                {
                    continue;
                }

                var (records, _) = Storage.Get(key, now);
                if (records.Count > 0)
                {
                    await StoreOnAsync([newcomer], key, records, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            Diagnostic?.Invoke($"replicating to {newcomer} failed: {ex.Message}");
        }
    }

    /// <summary>Sends a PING; whether it was answered.</summary>
    public async Task<bool> PingAsync(DhtContact contact, CancellationToken cancellationToken)
    {
        return await SendAsync(contact, new PingRequest(Self), cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// Sends one request; returns the reply, or <see langword="null"/> when there was none (and counts the failure
    /// against the peer). Only cancellation is thrown.
    /// </summary>
    internal async Task<DhtResponse?> SendAsync(DhtContact target, DhtRequest request, CancellationToken cancellationToken)
    {
        Stats.RequestSent();
        try
        {
            var response = await _rpc.SendAsync(target, request, cancellationToken).ConfigureAwait(false);
            if (response.Op != DhtResponse.ReplyTo(request.Op) || response.Sender.Id != target.Id)
            {
                throw new DhtRpcException(DhtRpcFailure.BadReply, $"{target} answered {request.Op} with {response.Op} from {response.Sender}.");
            }

            Observe(target);
            return response;
        }
        catch (DhtRpcException ex)
        {
            Stats.RequestFailed();
            if (ex.Failure == DhtRpcFailure.BadReply)
            {
                ReportDropped(ex.Message);
            }

            if (ex.Failure != DhtRpcFailure.Local)
            {
                Routing.RecordFailure(target, ex.Failure == DhtRpcFailure.Unreachable, MaxConsecutiveFailures);
            }

            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An IDhtRpc must wrap its failures; anything else is a bug worth reporting, never a crash of the node.
            Stats.RequestFailed();
            Report($"DHT request {request.Op} to {target} failed unexpectedly: {ex}");
            return null;
        }
    }

    /// <summary>
    /// Refreshes a bucket with a lookup of a random id in it. The lookup ends once the α nodes nearest that id have
    /// answered, not K: meeting a few live nodes of the bucket is all a refresh is for, at a third of the messages.
    /// </summary>
    internal Task<LookupResult> RefreshBucketAsync(int bucket, CancellationToken cancellationToken) =>
        LookupAsync(RandomIdInBucket(bucket), findValue: false, cancellationToken, Options.Alpha);

    internal DhtId RandomIdInBucket(int bucket)
    {
        lock (_randomGate)
        {
            return DhtId.RandomInBucket(Self.Id, bucket, _random);
        }
    }

    private async Task PingOldestAsync(DhtContact leastRecent)
    {
        bool answered;
        try
        {
            answered = await PingAsync(leastRecent, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Report($"PING of {leastRecent} failed: {ex.Message}");
            answered = false;
        }

        if (!answered)
        {
            Stats.Evicted();
        }

        Routing.ResolvePing(leastRecent, answered);
    }

    internal void Report(string message)
    {
        try
        {
            Diagnostic?.Invoke(message);
        }
        catch (Exception)
        {
            // A broken log sink must not break the node.
        }
    }
}
