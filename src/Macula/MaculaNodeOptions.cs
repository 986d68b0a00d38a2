using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula;

/// <summary>Options of a <see cref="MaculaNode"/>.</summary>
public sealed record MaculaNodeOptions
{
    /// <summary>The realm: nodes of different realms never see each other on a shared bus. Default <c>default</c>.</summary>
    public string Realm { get; init; } = "default";

    /// <summary>
    /// The bus the node talks over; the node owns it and disposes it. Required. Over NATS, a
    /// <c>Macula.Nats.NatsTransport</c> made from <c>NatsOptions</c> (servers, user/password, token, NKey seed, JWT
    /// creds, TLS CA and client certificate, TLS-first, WebSocket URLs), from a whole NATS.Client.Core <c>NatsOpts</c>,
    /// or over the app's own <c>INatsConnection</c>, which disposing the transport leaves open.
    /// </summary>
    public IMaculaTransport? Transport { get; init; }

    /// <summary>This node's id (letters, digits, '-' and '_'); a random one is generated when <see langword="null"/>.</summary>
    public string? NodeId { get; init; }

    /// <summary>
    /// This node's key pair, which signs what it says for itself on the bus. An ephemeral one is made when
    /// <see langword="null"/>; persist one with <see cref="NodeIdentity.LoadOrCreate"/>. The node id defaults to the
    /// one derived from it.
    /// </summary>
    public NodeIdentity? Identity { get; init; }

    /// <summary>
    /// A <see cref="NodeCertificate"/> (text form) from a realm key that binds <see cref="NodeId"/> to
    /// <see cref="Identity"/>'s key: needed for a chosen node id in <see cref="TrustMode.Enforced"/> mode.
    /// </summary>
    public string? Certificate { get; init; }

    /// <summary>Whose records, withdrawals and DHT replies this node accepts. Default <see cref="TrustOptions.Default"/> (open).</summary>
    public TrustOptions Trust { get; init; } = TrustOptions.Default;

    /// <summary>
    /// Whether an exception thrown by a service implementation goes back to the caller with its type and message
    /// (<see cref="MaculaRemoteException.RemoteType"/>, <see cref="MaculaRemoteException.RemoteMessage"/>). Off by
    /// default, as gRPC and MagicOnion do, because they can reveal internals to any caller on the bus; the error code
    /// always goes back. Macula.Hosting turns it on in the Development environment.
    /// </summary>
    public bool IncludeErrorDetails { get; init; }

    /// <summary>Metadata advertised with every service this node provides (for example a name and a version).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The zone or region this node runs in (for example <c>eu-west</c>): advertised with every service it provides
    /// (unless <see cref="ProviderOptions.Zone"/> says otherwise), and the zone its clients prefer unless
    /// <see cref="ClientOptions.PreferredZone"/> says otherwise. <see langword="null"/> (the default): none.
    /// </summary>
    public string? Zone { get; init; }

    /// <summary>How long an advertisement lives unless refreshed; refreshed at half of it. Default 300 s.</summary>
    public TimeSpan AdvertiseTtl { get; init; } = DefaultAdvertiseTtl;

    /// <summary>How long a client caches the providers it discovered. Default 60 s.</summary>
    public TimeSpan DiscoveryCacheTtl { get; init; } = DefaultDiscoveryCacheTtl;

    /// <summary>How long a stopping provider lets calls in flight finish before cancelling them. Default 5 s.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = DefaultShutdownGracePeriod;

    /// <summary>How this node's providers limit the calls they run at once and shed the rest (<see cref="MaculaErrorCode.Overloaded"/>).</summary>
    public LoadSheddingOptions LoadShedding { get; init; } = LoadSheddingOptions.Default;

    /// <summary>The per-provider circuit breaker.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; init; } = CircuitBreakerOptions.Default;

    /// <summary>Settings of the Kademlia DHT that holds the service registry.</summary>
    public DhtOptions Dht { get; init; } = DhtOptions.Default;

    /// <summary>Client filters every client of this node runs, before (outside) each client's own (docs/filters.md). Default: none.</summary>
    public IReadOnlyList<IMaculaClientFilter> ClientFilters { get; init; } = [];

    /// <summary>Server filters every service this node provides runs, before (outside) each service's own (docs/filters.md). Default: none.</summary>
    public IReadOnlyList<IMaculaServerFilter> ServerFilters { get; init; } = [];

    /// <summary>
    /// Event filters run around every publish of this node's publishers and every event its subscriptions handle,
    /// before (outside) each publisher's and subscription's own (docs/events.md). Default: none.
    /// </summary>
    public IReadOnlyList<IMaculaEventFilter> EventFilters { get; init; } = [];

    /// <summary>The clock (tests pass a fake one). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Formatter resolvers asked before the generated and built-in formatters, in order: bring a formatter for a type
    /// the generator cannot write (a third-party type), or replace one. Their formatters run on untrusted input, so
    /// they should bound what they allocate. Default: none.
    /// </summary>
    public IReadOnlyList<IFormatterResolver> Resolvers { get; init; } = [];

    /// <summary>
    /// How deep a payload may nest, read or written (<see cref="MessagePackSecurity.MaximumObjectGraphDepth"/>): a
    /// deeper request is a <see cref="MaculaErrorCode.BadRequest"/>, and writing a cyclic object graph fails at this
    /// depth with a <see cref="MaculaSerializationException"/>. Default 500, MessagePack's untrusted-data limit.
    /// </summary>
    public int MaxObjectGraphDepth { get; init; } = MaculaSerializer.DefaultMaxObjectGraphDepth;

    /// <summary>Compression of the replies, stream items and calls this node sends (clients may override it). Default off.</summary>
    public CompressionOptions Compression { get; init; } = CompressionOptions.Off;

    /// <summary>The most bytes a compressed body may expand to; a body that declares more is refused unread. Default 16 MiB.</summary>
    public int MaxDecompressedBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Receives the node's events (connects, advertise/withdraw, failover, circuit changes, bad messages).</summary>
    public Action<MaculaEvent>? OnEvent { get; init; }

    /// <summary>
    /// Whether the node answers the NATS service API (<c>$SRV.PING</c>, <c>$SRV.INFO</c>, <c>$SRV.STATS</c>) for the
    /// services it provides, so NATS tooling (<c>nats micro ls</c>) lists them. On by default; <c>$SRV</c> is outside the
    /// realm's prefix, so it tells anyone in the NATS account the service names, versions and call counts, never
    /// payloads (docs/security.md).
    /// </summary>
    public bool EnableNatsServiceApi { get; init; } = true;

    // The defaults, also Macula.Hosting's (MaculaOptions), so configuration and code start from the same values.
    internal static readonly TimeSpan DefaultAdvertiseTtl = TimeSpan.FromSeconds(300);

    internal static readonly TimeSpan DefaultDiscoveryCacheTtl = TimeSpan.FromSeconds(60);

    internal static readonly TimeSpan DefaultShutdownGracePeriod = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        if (Transport is null)
        {
            throw new ArgumentException("MaculaNodeOptions.Transport is required: use new InMemoryNetwork().CreateTransport() for an in-process mesh, or a NatsTransport.", nameof(Transport));
        }

        if (Validation.TokenProblem(Realm) is { } realmProblem)
        {
            throw new ArgumentException(Problem(nameof(Realm), Realm, realmProblem), nameof(Realm));
        }

        if (NodeId is not null && Validation.NodeIdProblem(NodeId) is { } nodeIdProblem)
        {
            throw new ArgumentException(Problem(nameof(NodeId), NodeId, nodeIdProblem), nameof(NodeId));
        }

        Validation.Require(Validation.AdvertiseTtlProblem(AdvertiseTtl), nameof(MaculaNodeOptions), nameof(AdvertiseTtl), AdvertiseTtl);
        Validation.Require(Validation.DiscoveryCacheTtlProblem(DiscoveryCacheTtl), nameof(MaculaNodeOptions), nameof(DiscoveryCacheTtl), DiscoveryCacheTtl);
        Validation.Require(Validation.ShutdownGracePeriodProblem(ShutdownGracePeriod), nameof(MaculaNodeOptions), nameof(ShutdownGracePeriod), ShutdownGracePeriod);
        (Trust ?? throw new ArgumentNullException(nameof(Trust))).Validate();
        if (Certificate is not null)
        {
            if (Identity is null)
            {
                throw new ArgumentException("MaculaNodeOptions.Certificate is set but MaculaNodeOptions.Identity is not: a certificate is for one key, so give the identity it was issued to.", nameof(Certificate));
            }

            if (!NodeCertificate.TryParse(Certificate, out var certificate, out string error))
            {
                throw new ArgumentException($"MaculaNodeOptions.Certificate is not a valid node certificate: {error}.", nameof(Certificate));
            }

            string nodeId = NodeId ?? Identity.DefaultNodeId;
            if (certificate.NodePublicKey != Identity.PublicKey || certificate.NodeId != nodeId || certificate.Realm != Realm)
            {
                throw new ArgumentException($"MaculaNodeOptions.Certificate is for node '{certificate.NodeId}' with key {certificate.NodePublicKey} in realm '{certificate.Realm}', not for node '{nodeId}' with key {Identity.PublicKey} in realm '{Realm}'.", nameof(Certificate));
            }
        }

        ArgumentNullException.ThrowIfNull(Metadata, nameof(Metadata));
        foreach (string name in Metadata.Keys)
        {
            if (name.StartsWith(ProviderMetadata.Prefix, StringComparison.Ordinal))
            {
                throw new ArgumentException($"MaculaNodeOptions.Metadata key '{name}' starts with '{ProviderMetadata.Prefix}', which is reserved for the typed provider fields (ProviderOptions.Version, Zone, Tags).", nameof(Metadata));
            }
        }

        if (Zone is not null && Validation.ZoneProblem(Zone) is { } zone)
        {
            throw new ArgumentException(Problem(nameof(Zone), Zone, zone), nameof(Zone));
        }
        ArgumentNullException.ThrowIfNull(Resolvers, nameof(Resolvers));
        for (int i = 0; i < Resolvers.Count; i++)
        {
            if (Resolvers[i] is null)
            {
                throw new ArgumentException($"MaculaNodeOptions.Resolvers[{i}] is null.", nameof(Resolvers));
            }
        }

        if (MaxObjectGraphDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxObjectGraphDepth), MaxObjectGraphDepth, "MaculaNodeOptions.MaxObjectGraphDepth must be at least 1.");
        }

        if (MaxDecompressedBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDecompressedBytes), MaxDecompressedBytes, "MaculaNodeOptions.MaxDecompressedBytes must be at least 1.");
        }

        (Compression ?? throw new ArgumentNullException(nameof(Compression), "MaculaNodeOptions.Compression must not be null.")).Validate(nameof(MaculaNodeOptions));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        FilterList.Validate(ClientFilters, "MaculaNodeOptions.ClientFilters");
        FilterList.Validate(ServerFilters, "MaculaNodeOptions.ServerFilters");
        FilterList.Validate(EventFilters, "MaculaNodeOptions.EventFilters");
        (CircuitBreaker ?? throw new ArgumentNullException(nameof(CircuitBreaker))).Validate();
        (LoadShedding ?? throw new ArgumentNullException(nameof(LoadShedding), "MaculaNodeOptions.LoadShedding must not be null.")).Validate();
        (Dht ?? throw new ArgumentNullException(nameof(Dht))).Validate();
    }

    private static string Problem(string option, string? value, string problem) =>
        string.IsNullOrEmpty(value) ? $"MaculaNodeOptions.{option} {problem}." : $"MaculaNodeOptions.{option} '{value}' {problem}.";
}
