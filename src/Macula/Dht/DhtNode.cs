using Macula.Security;

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

    // Senders met in requests are probed (PING) before they may enter the routing table; these bound that work.
    private const int MaxProbesInFlight = 16;
    private const int MaxRemembered = 16_384;
    private static readonly TimeSpan ReprobeAfter = TimeSpan.FromMinutes(1);

    private readonly IDhtRpc _rpc;
    private readonly object _randomGate = new();
    private readonly Random _random;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DhtId, DateTimeOffset> _verifiedPeers = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DhtId, DateTimeOffset> _probed = new();
    private const int MaxDeferredSenders = 64;
    private const int MaxDeferredPerSender = 16;
    private int _deferredSenders;
    private readonly object _deferGate = new();
    private readonly Dictionary<DhtId, List<(DhtId Key, SignedRecord Record, bool Bound)>?> _probing = [];
    private readonly LogThrottle _rejections = new(perSecond: 10);
    private const int MaxProbesQueued = 256;
    private readonly System.Collections.Concurrent.ConcurrentQueue<DhtContact> _probeQueue = new();
    private int _probesInFlight;
    private int _probesQueued;

    public DhtNode(DhtContact self, DhtOptions options, IDhtRpc rpc, TimeProvider time, DhtSecurity security, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(security);
        Self = self;
        Options = options;
        _rpc = rpc;
        Time = time;
        Security = security;
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

    /// <summary>Signs what this node says and checks what others say.</summary>
    public DhtSecurity Security { get; }

    /// <summary>
    /// Whether this node only asks (client mode): its requests say so, so no node probes it, adds it to a routing
    /// table or sends it STOREs. Set before the node serves, cleared when it starts serving.
    /// </summary>
    public bool IsClient { get; set; }

    /// <summary>Receives a line for every dropped message and every failure worth a log entry.</summary>
    public Action<string>? Diagnostic { get; set; }

    /// <summary>
    /// Answers one request, with this node's proof. Never throws for anything a peer can send. Records and
    /// withdrawals are verified before they are stored; the sender enters the routing table only once it has proved
    /// its key by answering a probe.
    /// </summary>
    public DhtResponse Handle(DhtRequest request)
    {
        Stats.RequestReceived();
        var now = Time.GetUtcNow();
        bool verifiedSender = ConsiderSender(request, now);
        DhtResponse response;
        switch (request)
        {
            case PingRequest:
                response = new PongResponse(Self);
                break;
            case FindNodeRequest find:
                response = new NodesResponse(Self, Routing.FindClosest(find.Target, Options.K, request.Sender.Id));
                break;
            case FindValueRequest find:
                var (records, tombstones) = Storage.Get(find.Key, now);
                response = new ValueResponse(Self, Routing.FindClosest(find.Key, Options.K, request.Sender.Id), records, tombstones);
                break;
            case StoreRequest store:
                int accepted = 0;
                foreach (var record in store.Records)
                {
                    var verdict = Security.Check(store.Key, record, now);
                    if (!verdict.Accepted)
                    {
                        Reject($"STORE from {request.Sender}: {verdict.Reason}");
                        continue;
                    }

                    switch (Storage.Store(store.Key, record, now, verdict.NameBound, verifiedSender))
                    {
                        case StoreOutcome.Added or StoreOutcome.Updated:
                            accepted++;
                            break;
                        case StoreOutcome.Conflict:
                            Reject($"STORE from {request.Sender}: node id '{DhtSecurity.Quote(record.NodeId)}' is held by another key");
                            break;
                        case StoreOutcome.Full:
                            Reject($"STORE from {request.Sender}: the key holds as many providers as it may");
                            break;
                        case StoreOutcome.Throttled when !verifiedSender && Defer(request.Sender, store.Key, record, verdict.NameBound):
                            // Kept until the sender's probe answers: a new provider that stores before its probe
                            // came back is not turned away while a flood of unproven senders is throttled.
                            break;
                        case StoreOutcome.Throttled:
                            Reject($"STORE from {request.Sender}: the key takes no new provider now (too many newcomers at once)");
                            break;
                    }
                }

                response = new StoredResponse(Self, accepted);
                break;
            case DeleteRequest delete:
                var withdrawal = Security.Check(delete.Key, delete.Withdrawal, now);
                bool removed = false;
                if (!withdrawal.Accepted)
                {
                    Reject($"DELETE from {request.Sender}: {withdrawal.Reason}");
                }
                else
                {
                    var outcome = Storage.Delete(delete.Key, delete.Withdrawal, now, withdrawal.NameBound, verifiedSender);
                    removed = outcome == DeleteOutcome.Removed;
                    if (outcome == DeleteOutcome.NotOwner)
                    {
                        Reject($"DELETE from {request.Sender}: '{DhtSecurity.Quote(delete.Withdrawal.NodeId)}' is held by another key: only its owner may withdraw it");
                    }
                }

                response = new DeletedResponse(Self, removed);
                break;
            default:
                throw new ArgumentException($"Unknown DHT request {request.GetType().Name}.", nameof(request));
        }

        return response with { Proof = Security.Prove(Self.NodeId, request.Nonce) };
    }

    /// <summary>
    /// Kademlia learns contacts from the requests it receives, but a request proves nothing: its sender may be made up.
    /// A sender that proved its key lately is touched in the routing table; any other is probed with a PING (bounded),
    /// and enters the table only if it answers with a valid proof. Client-mode senders are neither.
    /// </summary>
    /// <returns>Whether the sender proved its key lately.</returns>
    private bool ConsiderSender(DhtRequest request, DateTimeOffset now)
    {
        var sender = request.Sender;
        if (sender.Id == Self.Id)
        {
            return true;
        }

        bool verified = _verifiedPeers.TryGetValue(sender.Id, out var provedAt) && now - provedAt < Options.RefreshInterval;
        if (request.FromClient || IsClient)
        {
            return verified;
        }

        if (verified)
        {
            Observe(sender);
            return true;
        }

        if (_probed.TryGetValue(sender.Id, out var probedAt) && now - probedAt < ReprobeAfter)
        {
            return false;
        }

        Remember(_probed, sender.Id, now);
        if (Interlocked.Increment(ref _probesInFlight) > MaxProbesInFlight)
        {
            // Busy: wait in a bounded queue (a burst of joins is learnt late, not lost; a flood of made-up senders
            // only fills the queue).
            Interlocked.Decrement(ref _probesInFlight);
            if (Interlocked.Increment(ref _probesQueued) <= MaxProbesQueued)
            {
                lock (_deferGate)
                {
                    _probing.TryAdd(sender.Id, null);
                }

                _probeQueue.Enqueue(sender);
                StartQueuedProbes();
            }
            else
            {
                Interlocked.Decrement(ref _probesQueued);
            }

            return false;
        }

        StartProbe(sender);
        return false;
    }

    /// <summary>Starts queued probes while there is room (a probe that ended meanwhile may have found the queue empty).</summary>
    private void StartQueuedProbes()
    {
        while (Volatile.Read(ref _probesInFlight) < MaxProbesInFlight && _probeQueue.TryDequeue(out var next))
        {
            Interlocked.Decrement(ref _probesQueued);
            if (Interlocked.Increment(ref _probesInFlight) > MaxProbesInFlight)
            {
                Interlocked.Decrement(ref _probesInFlight);
                Interlocked.Increment(ref _probesQueued);
                _probeQueue.Enqueue(next);
                return;
            }

            StartProbe(next);
        }
    }

    private void StartProbe(DhtContact sender)
    {
        lock (_deferGate)
        {
            _probing.TryAdd(sender.Id, null);
        }

        _ = ProbeAsync(sender);
    }

    private async Task ProbeAsync(DhtContact sender)
    {
        try
        {
            await Task.Yield();
            bool proved = false;
            try
            {
                proved = await PingAsync(sender, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                EndProbe(sender, proved);
            }
        }
        catch (Exception ex)
        {
            Report($"probing {sender} failed: {ex.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _probesInFlight);
            StartQueuedProbes();
        }
    }

    /// <summary>
    /// The probe of <paramref name="sender"/> is over: its deferred records are stored or refused. A method of its own,
    /// not inline in <see cref="ProbeAsync"/>'s finally: the trimmer (ILLink, SDK 10.0.401) drops the try/finally of a
    /// <c>lock</c> nested in an async method's finally, so a trimmed app never released the lock and the node's next
    /// DHT request from an unproven sender blocked its DHT subscription for good.
    /// </summary>
    private void EndProbe(DhtContact sender, bool proved)
    {
        List<(DhtId Key, SignedRecord Record, bool Bound)>? deferred;
        lock (_deferGate)
        {
            _probing.Remove(sender.Id, out deferred);
        }

        if (deferred is not null)
        {
            AdmitDeferred(sender, deferred, proved);
        }
    }

    /// <summary>
    /// Keeps a record a sender that is being probed could not place yet (at most <see cref="MaxDeferredPerSender"/>
    /// per sender and <see cref="MaxDeferredSenders"/> senders): it is stored as from a proven sender if the probe
    /// answers, and refused if it does not.
    /// </summary>
    private bool Defer(DhtContact sender, DhtId key, SignedRecord record, bool bound)
    {
        lock (_deferGate)
        {
            // Only while the sender's probe is on its way; and only so many, so a flood cannot park its records here.
            if (!_probing.TryGetValue(sender.Id, out var list) || _deferredSenders >= MaxDeferredSenders && list is null)
            {
                return false;
            }

            if (list is null)
            {
                _probing[sender.Id] = list = [];
                _deferredSenders++;
            }

            if (list.Count >= MaxDeferredPerSender)
            {
                return false;
            }

            list.Add((key, record, bound));
            return true;
        }
    }

    private void AdmitDeferred(DhtContact sender, List<(DhtId Key, SignedRecord Record, bool Bound)> deferred, bool proved)
    {
        lock (_deferGate)
        {
            _deferredSenders--;
        }

        var now = Time.GetUtcNow();
        foreach (var (key, record, bound) in deferred)
        {
            if (!proved)
            {
                Reject($"STORE from {sender}: the key takes no new provider now, and the sender never proved its key");
                continue;
            }

            if (Storage.Store(key, record, now, bound, verifiedSender: true) is not (StoreOutcome.Added or StoreOutcome.Updated))
            {
                Reject($"STORE from {sender}: the key holds as many providers as it may");
            }
        }
    }

    /// <summary>Probes of request senders not answered yet.</summary>
    internal int ProbesInFlight => Volatile.Read(ref _probesInFlight) + Volatile.Read(ref _probesQueued);

    /// <summary>Whether <paramref name="id"/> proved its key to this node within the refresh interval.</summary>
    public bool IsVerified(DhtId id) =>
        _verifiedPeers.TryGetValue(id, out var at) && Time.GetUtcNow() - at < Options.RefreshInterval;

    private static void Remember(System.Collections.Concurrent.ConcurrentDictionary<DhtId, DateTimeOffset> set, DhtId id, DateTimeOffset now)
    {
        if (set.Count >= MaxRemembered)
        {
            set.Clear(); // bounded: forgetting only costs another probe
        }

        set[id] = now;
    }

    /// <summary>Counts a refused record, withdrawal or reply, and logs it (at most ten lines a second).</summary>
    internal void Reject(string reason)
    {
        Stats.Rejected();
        MaculaDiagnostics.Rejections.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Rejected, reason.StartsWith("reply", StringComparison.Ordinal) ? "reply" : reason.StartsWith("DELETE", StringComparison.Ordinal) ? "withdrawal" : "record"));
        if (_rejections.TryTake(Time.GetUtcNow()))
        {
            Report("Refused " + reason);
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

    /// <summary>Sends a PING; whether it was answered with a valid proof.</summary>
    public async Task<bool> PingAsync(DhtContact contact, CancellationToken cancellationToken)
    {
        return await SendAsync(contact, new PingRequest(Self) { FromClient = IsClient }, cancellationToken).ConfigureAwait(false) is not null;
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

            var now = Time.GetUtcNow();
            var proof = Security.CheckProof(target.NodeId, request.Nonce, response.Proof, now);
            if (!proof.Accepted)
            {
                Stats.RequestFailed();
                Reject("reply: " + proof.Reason);
                Routing.RecordFailure(target, definitive: false, MaxConsecutiveFailures);
                return null;
            }

            Remember(_verifiedPeers, target.Id, now);
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
