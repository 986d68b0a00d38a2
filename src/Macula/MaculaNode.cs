using System.Collections.Concurrent;
using Macula.Dht;
using Macula.Discovery;
using Macula.Events;
using Macula.Health;
using Macula.Introspection;
using Macula.Rpc;
using Macula.Rpc.Client;
using Macula.Rpc.Server;
using Macula.Rpc.Streaming;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula;

/// <summary>
/// A member of a Macula mesh: it provides services (<see cref="ProvideAsync{TService}(TService, CancellationToken)"/>) and calls them through
/// typed clients (<see cref="CreateClient{TService}(ClientOptions?)"/>). Dispose it to withdraw its services and disconnect.
/// </summary>
public sealed partial class MaculaNode : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ProviderHost, byte> _providers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly NodeEvents _events;
    private readonly ClientRuntime _clientRuntime;
    private readonly ProviderRuntime _providerRuntime;
    private NodeIntrospection? _introspection;
    private NodeIdentity? _ownedIdentity;
    private EventHub? _eventHub;
    private int _disposed;

    // The composition root: every part gets what it needs from here, and none of them knows the node.
    private MaculaNode(MaculaNodeOptions options, string nodeId, DhtServiceRegistry registry, NodeEvents events)
    {
        Options = options;
        NodeId = nodeId;
        Transport = options.Transport!;
        Registry = registry;
        Time = options.TimeProvider;
        _events = events;
        SerializerOptions = MaculaSerializer.CreateOptions(options.Resolvers, options.MaxObjectGraphDepth);
        Health = new HealthTable(options.CircuitBreaker, Time);
        DiscoveryEvents? announcements = null;
        Discovery = new DiscoveryCache(registry, Health, options.DiscoveryCacheTtl, Time, service => announcements!.Watch(service));
        Announcements = announcements = new DiscoveryEvents(Transport, options.Realm, nodeId, SerializerOptions, registry.Node.Security, Time, events, Discovery);
        var local = new LocalProviders();
        _clientRuntime = new ClientRuntime(Transport, Discovery, Time, options.Realm, nodeId, options, SerializerOptions, events, StreamingCalls.Instance) { Local = local };
        ServerStats = new Monitoring.ServerStats(Time);
        _providerRuntime = new ProviderRuntime(Transport, registry, Announcements, Time, options.Realm, nodeId, options, SerializerOptions, events, StreamingServer.Instance, ServerStats, _stopping.Token) { Local = local };
        StartedAt = Time.GetUtcNow();
    }

    /// <summary>This node's id.</summary>
    public string NodeId { get; }

    /// <summary>The realm this node belongs to.</summary>
    public string Realm => Options.Realm;

    /// <summary>The options the node was started with.</summary>
    public MaculaNodeOptions Options { get; }

    internal IMaculaTransport Transport { get; }

    /// <summary>What every payload of this node is written and read with: the user's resolvers, the generated and built-in formatters, untrusted-data security.</summary>
    internal MessagePackSerializerOptions SerializerOptions { get; }

    internal DhtServiceRegistry Registry { get; }

    internal DiscoveryCache Discovery { get; }

    internal DiscoveryEvents Announcements { get; }

    internal HealthTable Health { get; }

    internal TimeProvider Time { get; }

    /// <summary>Connects the transport, joins discovery and returns the running node.</summary>
    public static async Task<MaculaNode> StartAsync(MaculaNodeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var identity = options.Identity ?? NodeIdentity.Create();
        string nodeId = options.NodeId ?? identity.DefaultNodeId;
        var security = new DhtSecurity(options.Realm, identity, options.Certificate, new TrustPolicy(options.Trust, options.Realm));
        await options.Transport!.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var events = new NodeEvents(nodeId, options.OnEvent, options.TimeProvider);
        var registry = await DhtServiceRegistry.StartAsync(
            options.Transport, options.Realm, nodeId, options.Dht, cancellationToken, options.TimeProvider,
            options.OnEvent is null ? null : events.DhtBadMessage, security).ConfigureAwait(false);
        var node = new MaculaNode(options, nodeId, registry, events) { _ownedIdentity = options.Identity is null ? identity : null };
        node._introspection = await NodeIntrospection.StartAsync(node.Transport, options.Realm, nodeId, events, node.Describe, cancellationToken).ConfigureAwait(false);
        await node.StartStatsAsync(cancellationToken).ConfigureAwait(false);
        events.Started(options.Realm);
        return node;
    }

    /// <summary>When this node started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Asks the node <paramref name="nodeId"/> to describe itself; measures the round trip.</summary>
    /// <exception cref="MaculaRpcException">No such node answers (<see cref="MaculaErrorCode.NoResponders"/>), or it timed out.</exception>
    public Task<MaculaNodeInfo> PingAsync(string nodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        return NodeIntrospection.PingAsync(Transport, Realm, SerializerOptions, nodeId, timeout ?? TimeSpan.FromSeconds(5), cancellationToken);
    }

    /// <summary>Asks every node of the realm to describe itself and gathers the answers that arrive within <paramref name="window"/>.</summary>
    public Task<IReadOnlyList<MaculaNodeInfo>> ListNodesAsync(TimeSpan? window = null, CancellationToken cancellationToken = default) =>
        NodeIntrospection.ListAsync(Transport, Realm, SerializerOptions, _events, window ?? TimeSpan.FromMilliseconds(500), cancellationToken);

    /// <summary>Looks up the providers of <paramref name="service"/> in the DHT now, bypassing the discovery cache.</summary>
    public async Task<IReadOnlyList<ProviderRecord>> FindProvidersAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        return await Registry.LookupAsync(service, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Calls <paramref name="method"/> of <paramref name="service"/> without generated code: <paramref name="arguments"/>
    /// is the MessagePack array of the arguments, the result is the MessagePack result. Selection, failover and
    /// errors are those of a typed call; the method is treated as not idempotent unless <paramref name="idempotent"/>.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>> InvokeAsync(string service, string method, ReadOnlyMemory<byte> arguments, ClientOptions? options = null, bool idempotent = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        options = options is null ? ClientOptions.Default : options with { };
        options.Validate();
        var descriptor = new DynamicServiceDescriptor(service, new MethodDescriptor(method, 0, idempotent));
        var client = new ServiceClient(_clientRuntime, descriptor, options, null, new ClientState());
        return await client.InvokeRawAsync(descriptor.Methods[0], arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What this node says about itself when asked (<see cref="NodeIntrospection"/>).</summary>
    private MaculaNodeInfo Describe() => new(NodeId, Realm, ProvidedServices(), Options.Metadata, StartedAt, GetDhtStats(), TimeSpan.Zero);

    /// <summary>The load-shedding gate of a service this node provides, or <see langword="null"/> (tests read its counts).</summary>
    internal Rpc.Server.ConcurrencyGate? GateOf(string service)
    {
        foreach (var host in _providers.Keys)
        {
            if (host.ServiceName == service)
            {
                return host.Gate;
            }
        }

        return null;
    }

    internal IReadOnlyList<string> ProvidedServices()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var host in _providers.Keys)
        {
            names.Add(host.ServiceName);
        }

        return [.. names];
    }

    /// <summary>What this node's DHT holds and has done: for tools and tests.</summary>
    public MaculaDhtStats GetDhtStats()
    {
        var dht = Registry;
        var s = dht.Statistics;
        return new MaculaDhtStats(dht.RoutingTableCount, dht.Node.Storage.KeyCount, dht.Node.Storage.Count, s.Lookups, s.RequestsSent, s.RequestsReceived, s.MessagesDropped);
    }

    /// <summary>
    /// Serves <paramref name="implementation"/> as a provider of <typeparamref name="TService"/> and advertises it.
    /// Dispose the result to withdraw it: new calls are refused (callers fail over), calls in flight get
    /// <see cref="MaculaNodeOptions.ShutdownGracePeriod"/> to finish.
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> is not a generated <c>[MaculaService]</c>.</exception>
    public Task<IAsyncDisposable> ProvideAsync<TService>(TService implementation, CancellationToken cancellationToken = default)
        where TService : class => ProvideAsync(implementation, ProviderOptions.Default, cancellationToken);

    /// <summary>
    /// Serves <paramref name="implementation"/> as a provider of <typeparamref name="TService"/> and advertises it with
    /// <paramref name="options"/>: version, zone and tags (signed with the record, see docs/rpc-semantics.md,
    /// "Routing") and its own server filters, run after the node's.
    /// </summary>
    /// <exception cref="ArgumentException">A bad option (the message names it), for example a version that is not semver.</exception>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> is not a generated <c>[MaculaService]</c>.</exception>
    public async Task<IAsyncDisposable> ProvideAsync<TService>(TService implementation, ProviderOptions options, CancellationToken cancellationToken = default)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(implementation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var descriptor = MaculaServiceRegistry.Get<TService>();
        var lease = new ServiceLease(descriptor.CreateDispatcher(implementation), null);
        return await ProvideCoreAsync(descriptor, () => lease, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves <typeparamref name="TService"/> with a new implementation per call, made by <paramref name="activator"/>
    /// (dependency-injection integrations resolve it from a scope, disposed when the call ends).
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> is not a generated <c>[MaculaService]</c>.</exception>
    public Task<IAsyncDisposable> ProvideAsync<TService>(Func<ServiceInstance<TService>> activator, CancellationToken cancellationToken = default)
        where TService : class => ProvideAsync(activator, ProviderOptions.Default, cancellationToken);

    /// <summary>
    /// Serves <typeparamref name="TService"/> with a new implementation per call, made by <paramref name="activator"/>,
    /// advertised with <paramref name="options"/> (version, zone, tags) and under its own server filters, after the node's.
    /// </summary>
    /// <exception cref="ArgumentException">A bad option (the message names it).</exception>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> is not a generated <c>[MaculaService]</c>.</exception>
    public Task<IAsyncDisposable> ProvideAsync<TService>(Func<ServiceInstance<TService>> activator, ProviderOptions options, CancellationToken cancellationToken = default)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(activator);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var descriptor = MaculaServiceRegistry.Get<TService>();
        return ProvideCoreAsync(descriptor, () =>
        {
            var instance = activator();
            return new ServiceLease(descriptor.CreateDispatcher(instance.Implementation), instance.Lifetime);
        }, options, cancellationToken);
    }

    private async Task<IAsyncDisposable> ProvideCoreAsync(ServiceDescriptor descriptor, Func<ServiceLease> activate, ProviderOptions options, CancellationToken cancellationToken)
    {
        var host = await ProviderHost.StartAsync(_providerRuntime, descriptor, activate, options with { }, Forget, cancellationToken).ConfigureAwait(false);
        _providers.TryAdd(host, 0);
        return host;
    }

    /// <summary>
    /// Creates a typed client before the node has started: calls wait for <paramref name="node"/> to complete
    /// (dependency-injection integrations inject clients while the host is still starting).
    /// </summary>
    public static TService CreateClient<TService>(Task<MaculaNode> node, ClientOptions? options = null)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(node);
        options = options is null ? ClientOptions.Default : options with { };
        options.Validate();
        var descriptor = MaculaServiceRegistry.Get<TService>();
        return descriptor.CreateClient(new DeferredInvoker(ClientRuntimeOf(node), descriptor, options, null, new ClientState()));
    }

    private static async Task<ClientRuntime> ClientRuntimeOf(Task<MaculaNode> node) => (await node.ConfigureAwait(false))._clientRuntime;

    /// <summary>Creates a typed client of <typeparamref name="TService"/> that calls its providers on the mesh.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> is not a generated <c>[MaculaService]</c>.</exception>
    public TService CreateClient<TService>(ClientOptions? options = null)
        where TService : class
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        // A snapshot: changing the options object later does not change clients made from it.
        options = options is null ? ClientOptions.Default : options with { };
        options.Validate();
        var descriptor = MaculaServiceRegistry.Get<TService>();
        return descriptor.CreateClient(new ServiceClient(_clientRuntime, descriptor, options, null, new ClientState()));
    }

    /// <summary>
    /// Creates a publisher of the event contract <typeparamref name="TContract"/>: calling one of its methods publishes
    /// that event to every subscriber in the realm (<c>macula.&lt;realm&gt;.events.&lt;contract&gt;.&lt;event&gt;</c>).
    /// The returned task completes when the transport has taken the message: delivery is at-most-once (docs/events.md).
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TContract"/> is not a generated <c>[MaculaEvents]</c> contract.</exception>
    /// <exception cref="ArgumentException">The options are invalid (a null filter, metadata over the size limit).</exception>
    public TContract CreatePublisher<TContract>(EventPublisherOptions? options = null)
        where TContract : class
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return EventRoom.CreatePublisher<TContract>(options);
    }

    /// <summary>
    /// Subscribes <paramref name="handler"/> to the events of <typeparamref name="TContract"/> in this node's realm: every
    /// subscriber gets every event, or one member of <see cref="EventSubscriptionOptions.Group"/> does. Handlers run one
    /// at a time by default, in the order one publisher published. The subscription is live when the task completes;
    /// dispose it to stop delivery (it returns once the running handler has finished).
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TContract"/> is not a generated <c>[MaculaEvents]</c> contract.</exception>
    /// <exception cref="ArgumentException">The options are invalid (a bad group name, an event the contract does not have).</exception>
    public Task<IAsyncDisposable> SubscribeAsync<TContract>(TContract handler, EventSubscriptionOptions? options = null, CancellationToken cancellationToken = default)
        where TContract : class
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return EventRoom.SubscribeAsync(handler, options, cancellationToken);
    }

    // Events hook (src/Macula/Events): the room gets the transport, realm, id, serializer, clock and two report sinks.
    private EventHub EventRoom => LazyInitializer.EnsureInitialized(ref _eventHub, () => new EventHub(new EventEndpoint(
        Transport, Realm, NodeId, SerializerOptions, Options.Compression, Options.MaxDecompressedBytes, Time,
        _events.BadMessage, Options.EventFilters, _events.BackgroundError)));

    /// <summary>The health of every provider this node has called, as it sees it.</summary>
    public IReadOnlyList<ProviderHealthSnapshot> GetProviderHealth() => Health.Snapshot();

    /// <summary>Withdraws every provided service (draining calls in flight), then disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var stops = new List<Task>();
        foreach (var host in _providers.Keys)
        {
            stops.Add(host.DisposeAsync().AsTask());
        }

        await Task.WhenAll(stops).ConfigureAwait(false);
        if (Volatile.Read(ref _eventHub) is { } eventHub)
        {
            await eventHub.DisposeAsync().ConfigureAwait(false);
        }

        await Announcements.DisposeAsync().ConfigureAwait(false);
        if (_introspection is not null)
        {
            await _introspection.DisposeAsync().ConfigureAwait(false);
        }

        await StopStatsAsync().ConfigureAwait(false);

        _stopping.Cancel();
        await Registry.DisposeAsync().ConfigureAwait(false);

        await Transport.DisposeAsync().ConfigureAwait(false);
        _events.Stopped();
        _stopping.Dispose();
        _ownedIdentity?.Dispose();
    }

    private void Forget(ProviderHost host) => _providers.TryRemove(host, out _);
}
