using Macula.Dht;
using Macula.Transport;

namespace Macula.Discovery;

/// <summary>
/// Service discovery in the Kademlia DHT: a service's key is SHA-256 of <c>"svc:" + name</c>, its value the list of
/// provider records stored on the K nodes closest to the key. Needs nothing but an <see cref="IMaculaTransport"/>:
/// a new node finds the others through the bootstrap subject.
/// </summary>
internal sealed class DhtServiceRegistry : IServiceRegistry
{
    private readonly DhtTransportBinding _binding;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _rejoin = new(1, 1);
    private readonly SemaphoreSlim _serve = new(1, 1);
    private readonly DhtMode _mode;
    private Task _maintenance = Task.CompletedTask;
    private int _disposed;

    private DhtServiceRegistry(DhtNode node, DhtTransportBinding binding, DhtMode mode)
    {
        Node = node;
        _binding = binding;
        _mode = mode;
    }

    /// <summary>Whether this node serves the DHT now (answers, stores, sits in routing tables).</summary>
    internal bool IsServing => !Node.IsClient;

    /// <summary>The DHT node behind the registry (routing table, storage, statistics).</summary>
    internal DhtNode Node { get; }

    /// <summary>Contacts in the routing table.</summary>
    internal int RoutingTableCount => Node.Routing.Count;

    /// <summary>Counters: lookups, rounds, messages, drops.</summary>
    internal DhtStatistics Statistics => Node.Stats;

    /// <summary>
    /// Starts a DHT node on <paramref name="transport"/> and joins the realm's DHT: listens on its subject, asks the
    /// bootstrap subject for a first contact (none answering means this is the first node), looks itself up, then
    /// joins the bootstrap queue group and starts its upkeep (bucket refresh, republish, expiry). In client mode
    /// (<see cref="DhtMode.Client"/>, or <see cref="DhtMode.Auto"/> until the first advertisement) it only asks: it
    /// neither listens nor joins the bootstrap group.
    /// </summary>
    /// <exception cref="ArgumentException">A bad realm, node id or option (the message names it).</exception>
    public static async Task<DhtServiceRegistry> StartAsync(
        IMaculaTransport transport,
        string realm,
        string nodeId,
        DhtOptions options,
        CancellationToken cancellationToken,
        TimeProvider? timeProvider = null,
        Action<string>? diagnostic = null,
        DhtSecurity? security = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!Validation.IsDhtNodeId(nodeId))
        {
            throw new ArgumentException($"Node id '{nodeId}' cannot name a DHT node: it must be one subject token of printable ASCII (no '.', '*', '>'), at most {Validation.MaxLength} characters, and not '{Subjects.DhtBootstrapToken}'.", nameof(nodeId));
        }

        ArgumentException.ThrowIfNullOrEmpty(realm);
        try
        {
            SubjectMatcher.Validate(Subjects.DhtNode(realm, nodeId), allowWildcards: false);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Realm '{realm}' cannot be part of a subject: {ex.Message}", nameof(realm), ex);
        }

        await transport.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var binding = new DhtTransportBinding(transport, realm, options);
        var node = new DhtNode(new DhtContact(nodeId), options, binding, timeProvider ?? TimeProvider.System, security ?? DhtSecurity.Open(realm))
        {
            Diagnostic = diagnostic,
            IsClient = options.Mode != DhtMode.Server,
        };
        binding.Attach(node);
        var registry = new DhtServiceRegistry(node, binding, options.Mode);
        try
        {
            if (!node.IsClient)
            {
                await binding.ListenAsync(cancellationToken).ConfigureAwait(false);
            }

            if (await binding.BootstrapAsync(cancellationToken).ConfigureAwait(false))
            {
                await node.JoinAsync(cancellationToken).ConfigureAwait(false);
            }

            if (!node.IsClient)
            {
                await binding.ListenForBootstrapAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await registry.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        registry._maintenance = registry.MaintainAsync(registry._stopping.Token);
        return registry;
    }

    /// <inheritdoc />
    public async ValueTask AdvertiseAsync(string service, ProviderRecord record, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(record);
        if (!Validation.IsDhtNodeId(record.NodeId))
        {
            throw new ArgumentException($"Provider node id '{record.NodeId}' cannot be stored in the DHT.", nameof(record));
        }

        if (record.Ttl <= TimeSpan.Zero || record.Ttl > DhtCodec.MaxWireTtl)
        {
            throw new ArgumentException($"Provider record TTL {record.Ttl} must be positive and at most {DhtCodec.MaxWireTtl.TotalDays} days.", nameof(record));
        }

        int size = DhtCodec.RecordSize(Node.Security.Sign(DhtId.ForService(service), record));
        if (size > Node.Options.MaxRecordBytes)
        {
            throw new ArgumentException($"The provider record of '{service}' takes {size} bytes, more than DhtOptions.MaxRecordBytes ({Node.Options.MaxRecordBytes}).", nameof(record));
        }

        var key = DhtId.ForService(service);
        var signed = Node.Security.Sign(key, record);
        var own = Node.Security.Check(key, signed, Node.Time.GetUtcNow());
        if (!own.Accepted)
        {
            // Checked before the node starts serving: a node every peer would refuse must not answer bootstraps either.
            throw new InvalidOperationException($"This node cannot advertise '{service}': its own trust policy refuses it ({own.Reason}). In enforced mode, trust its key (TrustOptions.TrustedNodeKeys) or give it a certificate (MaculaNodeOptions.Certificate).");
        }

        await ServeAsync(cancellationToken).ConfigureAwait(false);
        await EnsureContactsAsync(cancellationToken).ConfigureAwait(false);

        int stored = await Node.StoreAsync(key, [signed], cancellationToken).ConfigureAwait(false);
        if (stored == 0)
        {
            throw new MaculaTransportException(TransportErrorKind.NoResponders, $"No DHT node took the advertisement of '{service}'.");
        }
    }

    /// <inheritdoc />
    public async ValueTask WithdrawAsync(string service, string nodeId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        if (!string.Equals(nodeId, Node.Self.NodeId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Node '{Node.Self.NodeId}' cannot withdraw '{nodeId}': a withdrawal is signed by the provider itself, and replicas accept it only from the record's owner.", nameof(nodeId));
        }

        await EnsureContactsAsync(cancellationToken).ConfigureAwait(false);
        var key = DhtId.ForService(service);
        await Node.DeleteAsync(key, Node.Security.SignWithdrawal(key, nodeId, Node.Time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ProviderRecord>> LookupAsync(string service, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        await EnsureContactsAsync(cancellationToken).ConfigureAwait(false);
        var key = DhtId.ForService(service);
        var lookup = await Node.LookupAsync(key, findValue: true, cancellationToken).ConfigureAwait(false);
        if (lookup.Closest.Count == 0 && lookup.Failures > 0)
        {
            // Every contact failed: they may all be gone (a client-mode node meets new servers only through its
            // lookups), so rejoin through the bootstrap subject and ask once more.
            await EnsureContactsAsync(cancellationToken).ConfigureAwait(false);
            lookup = await Node.LookupAsync(key, findValue: true, cancellationToken).ConfigureAwait(false);
        }

        return lookup.LiveRecords(Node.Time.GetUtcNow());
    }

    /// <summary>
    /// Turns a client-mode node (<see cref="DhtMode.Auto"/>) into a server before its first advertisement: it listens on
    /// its subject, joins the bootstrap group and looks itself up, so the nodes it meets probe it and add it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The node runs in <see cref="DhtMode.Client"/> mode.</exception>
    private async ValueTask ServeAsync(CancellationToken cancellationToken)
    {
        if (!Node.IsClient)
        {
            return;
        }

        if (_mode == DhtMode.Client)
        {
            throw new InvalidOperationException("This node runs the DHT in client mode (DhtOptions.Mode = Client): it cannot provide services. Use DhtMode.Auto or DhtMode.Server.");
        }

        await _serve.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Node.IsClient)
            {
                return;
            }

            await _binding.ListenAsync(cancellationToken).ConfigureAwait(false);
            Node.IsClient = false;
            if (Node.Routing.Count > 0 || await _binding.BootstrapAsync(cancellationToken).ConfigureAwait(false))
            {
                await Node.JoinAsync(cancellationToken).ConfigureAwait(false);
            }

            await _binding.ListenForBootstrapAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _serve.Release();
        }
    }

    /// <summary>
    /// Rejoins through the bootstrap subject when the routing table is empty. Every contact fails while this node's
    /// own connection to the bus is down (a restarted NATS server), so after it comes back the node knows nobody;
    /// without this, its lookups would answer from its own storage alone until the next upkeep round, up to 30 s.
    /// </summary>
    private async ValueTask EnsureContactsAsync(CancellationToken cancellationToken)
    {
        if (Node.Routing.Count > 0)
        {
            return;
        }

        // One rejoin for every caller that found the table empty at once.
        await _rejoin.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Node.Routing.Count == 0 && await (Node.IsClient ? _binding.BootstrapAsync(cancellationToken) : _binding.RejoinAsync(cancellationToken)).ConfigureAwait(false))
            {
                await Node.JoinAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _rejoin.Release();
        }
    }

    /// <summary>Runs one round of upkeep now (tests and tools; the registry also runs it on its own).</summary>
    internal Task RunMaintenanceAsync(CancellationToken cancellationToken) => Node.RunMaintenanceAsync(cancellationToken);

    /// <summary>Stops upkeep and unsubscribes; records this node held stay on the other replicas.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _maintenance.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected: the loop stops by cancellation.
        }

        await _binding.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task MaintainAsync(CancellationToken stopping)
    {
        var options = Node.Options;
        var tick = Min(Min(options.RefreshInterval, options.RepublishInterval) / 4, TimeSpan.FromSeconds(30));
        var rejoin = Min(tick, TimeSpan.FromSeconds(2));
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // Two nodes that started together may each have found nobody; they keep asking until they meet.
                bool alone = Node.Routing.Count == 0;
                await Task.Delay(alone ? rejoin : tick, Node.Time, stopping).ConfigureAwait(false);
                if (alone && await _binding.BootstrapAsync(stopping).ConfigureAwait(false))
                {
                    await Node.JoinAsync(stopping).ConfigureAwait(false);
                }

                await Node.RunMaintenanceAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Node.Report($"DHT upkeep failed: {ex.Message}");
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
