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
    private Task _maintenance = Task.CompletedTask;
    private int _disposed;

    private DhtServiceRegistry(DhtNode node, DhtTransportBinding binding)
    {
        Node = node;
        _binding = binding;
    }

    /// <summary>The DHT node behind the registry (routing table, storage, statistics).</summary>
    internal DhtNode Node { get; }

    /// <summary>Contacts in the routing table.</summary>
    internal int RoutingTableCount => Node.Routing.Count;

    /// <summary>Counters: lookups, rounds, messages, drops.</summary>
    internal DhtStatistics Statistics => Node.Stats;

    /// <summary>
    /// Starts a DHT node on <paramref name="transport"/> and joins the realm's DHT: listens on its subject, asks the
    /// bootstrap subject for a first contact (none answering means this is the first node), looks itself up, then
    /// joins the bootstrap queue group and starts its upkeep (bucket refresh, republish, expiry).
    /// </summary>
    /// <exception cref="ArgumentException">A bad realm, node id or option (the message names it).</exception>
    public static async Task<DhtServiceRegistry> StartAsync(
        IMaculaTransport transport,
        string realm,
        string nodeId,
        DhtOptions options,
        CancellationToken cancellationToken,
        TimeProvider? timeProvider = null,
        Action<string>? diagnostic = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!DhtContact.IsValidNodeId(nodeId))
        {
            throw new ArgumentException($"Node id '{nodeId}' cannot name a DHT node: it must be one subject token of printable ASCII (no '.', '*', '>'), at most {DhtContact.MaxNodeIdLength} characters, and not '{DhtSubjects.BootstrapToken}'.", nameof(nodeId));
        }

        ArgumentException.ThrowIfNullOrEmpty(realm);
        try
        {
            SubjectMatcher.Validate(DhtSubjects.Node(realm, nodeId), allowWildcards: false);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Realm '{realm}' cannot be part of a subject: {ex.Message}", nameof(realm), ex);
        }

        await transport.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var binding = new DhtTransportBinding(transport, realm, options);
        var node = new DhtNode(new DhtContact(nodeId), options, binding, timeProvider ?? TimeProvider.System)
        {
            Diagnostic = diagnostic,
        };
        binding.Attach(node);
        var registry = new DhtServiceRegistry(node, binding);
        try
        {
            await binding.ListenAsync(cancellationToken).ConfigureAwait(false);
            if (await binding.BootstrapAsync(cancellationToken).ConfigureAwait(false))
            {
                await node.JoinAsync(cancellationToken).ConfigureAwait(false);
            }

            await binding.ListenForBootstrapAsync(cancellationToken).ConfigureAwait(false);
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
        if (!DhtContact.IsValidNodeId(record.NodeId))
        {
            throw new ArgumentException($"Provider node id '{record.NodeId}' cannot be stored in the DHT.", nameof(record));
        }

        if (record.Ttl <= TimeSpan.Zero || record.Ttl > DhtCodec.MaxWireTtl)
        {
            throw new ArgumentException($"Provider record TTL {record.Ttl} must be positive and at most {DhtCodec.MaxWireTtl.TotalDays} days.", nameof(record));
        }

        int size = DhtCodec.RecordSize(record);
        if (size > Node.Options.MaxRecordBytes)
        {
            throw new ArgumentException($"The provider record of '{service}' takes {size} bytes, more than DhtOptions.MaxRecordBytes ({Node.Options.MaxRecordBytes}).", nameof(record));
        }

        await EnsureContactsAsync(cancellationToken).ConfigureAwait(false);
        int stored = await Node.StoreAsync(DhtId.ForService(service), [record], cancellationToken).ConfigureAwait(false);
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
        await EnsureContactsAsync(cancellationToken).ConfigureAwait(false);
        await Node.DeleteAsync(DhtId.ForService(service), nodeId, Node.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ProviderRecord>> LookupAsync(string service, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        await EnsureContactsAsync(cancellationToken).ConfigureAwait(false);
        return await Node.FindValueAsync(DhtId.ForService(service), cancellationToken).ConfigureAwait(false);
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
            if (Node.Routing.Count == 0 && await _binding.RejoinAsync(cancellationToken).ConfigureAwait(false))
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
