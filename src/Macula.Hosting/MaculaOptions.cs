namespace Macula.Hosting;

/// <summary>
/// Settings of a hosted Macula node, bindable from the configuration section <c>Macula</c>
/// (for example <c>"Macula": { "Realm": "prod", "Nats": { "Servers": [ "tls://10.0.0.5:4222" ], "CredsFile": "/etc/macula/app.creds" }, "DefaultStrategy": "RoundRobin" }</c>).
/// Validated when the host starts; a bad value stops the start with a message that names the option.
/// </summary>
public sealed class MaculaOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Macula";

    /// <summary>The realm. Default <c>default</c>.</summary>
    public string Realm { get; set; } = "default";

    /// <summary>This node's id; random when empty.</summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// The NATS connection: servers, credentials, TLS (the section <c>Macula:Nats</c>), read when the node runs on NATS
    /// (the default, or <c>UseNats</c>; <see cref="MaculaBuilder.UseInMemory"/> and <see cref="MaculaBuilder.UseTransport(Func{IServiceProvider, Transport.IMaculaTransport})"/> choose another bus).
    /// </summary>
    public MaculaNatsOptions Nats { get; set; } = new();

    /// <summary>
    /// A file holding this node's identity seed (a NATS user nkey seed); created, readable by the owner only, when it
    /// does not exist. Empty for <see cref="IdentitySeed"/>, or for an ephemeral identity when both are empty.
    /// </summary>
    public string? IdentityFile { get; set; }

    /// <summary>This node's identity seed (<c>SU...</c>) itself, for secret stores that inject values rather than files.</summary>
    public string? IdentitySeed { get; set; }

    /// <summary>A node certificate (<c>MCERT1...</c>, from <c>macula keys sign</c>) that binds <see cref="NodeId"/> to the identity.</summary>
    public string? Certificate { get; set; }

    /// <summary>Whether the node answers the NATS service API (<c>$SRV.*</c>); see <see cref="MaculaNodeOptions.EnableNatsServiceApi"/>. On by default.</summary>
    public bool EnableNatsServiceApi { get; set; } = true;

    /// <summary>The realm's trust policy (<c>Macula:Trust:Mode</c>, <c>TrustedNodeKeys</c>, <c>TrustedRealmKeys</c>, <c>MaxClockSkew</c>).</summary>
    public MaculaTrustOptions Trust { get; set; } = new();

    /// <summary>
    /// Whether exceptions of service implementations go back to callers with their type and message. Empty: on in the
    /// Development environment only.
    /// </summary>
    public bool? IncludeErrorDetails { get; set; }

    /// <summary>Metadata advertised with the services this node provides (keys starting with <c>macula.</c> are reserved).</summary>
    public Dictionary<string, string> Metadata { get; set; } = [];

    /// <summary>
    /// The zone or region of this node (<see cref="MaculaNodeOptions.Zone"/>): advertised with its providers and
    /// preferred by its clients. Empty for none.
    /// </summary>
    public string? Zone { get; set; }

    /// <summary>
    /// Version, zone and tags of the services this node provides, by service name (<c>Macula:Providers:Calculator:Version</c>);
    /// read by <c>AddMaculaProvider</c>.
    /// </summary>
    public Dictionary<string, MaculaProviderSettings> Providers { get; set; } = [];

    /// <summary>Advertisement TTL. Default 300 s.</summary>
    public TimeSpan AdvertiseTtl { get; set; } = MaculaNodeOptions.DefaultAdvertiseTtl;

    /// <summary>Discovery cache TTL. Default 60 s.</summary>
    public TimeSpan DiscoveryCacheTtl { get; set; } = MaculaNodeOptions.DefaultDiscoveryCacheTtl;

    /// <summary>How long stopping providers let calls in flight finish. Default 5 s.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = MaculaNodeOptions.DefaultShutdownGracePeriod;

    /// <summary>The selection strategy of clients that do not set their own. Default Random.</summary>
    public SelectionStrategy DefaultStrategy { get; set; } = ClientOptions.Default.Strategy;

    /// <summary>The whole-call timeout (discovery, attempts, failover) of clients that do not set their own. Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = ClientOptions.Default.Timeout;

    /// <summary>The maximum attempts of clients that do not set their own; empty for min(3, providers).</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>Whether the node LZ4-compresses the bodies it sends (<see cref="MaculaNodeOptions.Compression"/>). Default off.</summary>
    public bool CompressionEnabled { get; set; }

    /// <summary>The smallest body the node compresses (<see cref="CompressionOptions.MinBytes"/>). Default 1024.</summary>
    public int CompressionMinBytes { get; set; } = CompressionOptions.Off.MinBytes;

    /// <summary>
    /// The calls each provided service runs at once (<see cref="LoadSheddingOptions.MaxConcurrency"/>). Default
    /// <see cref="Environment.ProcessorCount"/> × 32.
    /// </summary>
    public int MaxConcurrency { get; set; } = LoadSheddingOptions.Default.MaxConcurrency;

    /// <summary>The calls that may wait for a slot (<see cref="LoadSheddingOptions.QueueLength"/>). Default as <see cref="MaxConcurrency"/>.</summary>
    public int QueueLength { get; set; } = LoadSheddingOptions.Default.QueueLength;

    /// <summary>How long a queued call waits before it is answered Overloaded (<see cref="LoadSheddingOptions.MaxQueueWait"/>). Default 1 s.</summary>
    public TimeSpan MaxQueueWait { get; set; } = LoadSheddingOptions.Default.MaxQueueWait;
}
