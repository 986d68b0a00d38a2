namespace Macula;

/// <summary>
/// Settings of the Kademlia DHT that nodes use to find each other's services. The defaults suit meshes from a
/// handful of nodes to tens of thousands; validate once at start with <see cref="Validate"/>.
/// </summary>
public sealed record DhtOptions
{
    /// <summary>The settings every node starts with unless told otherwise.</summary>
    public static DhtOptions Default { get; } = new();

    /// <summary>Bucket size and replication factor: contacts kept per bucket, nodes a value is stored on (default 20).</summary>
    public int K { get; init; } = 20;

    /// <summary>Requests a lookup keeps in flight at once (default 3).</summary>
    public int Alpha { get; init; } = 3;

    /// <summary>How long one DHT request waits for its reply before the peer counts as unresponsive (default 2 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a node that stores a key stores it again on the key's closest nodes, unless another STORE of the
    /// key arrived in the meantime (default 2 min). This is what keeps a key alive when the nodes holding it die.
    /// </summary>
    public TimeSpan RepublishInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A bucket that has seen no lookup for this long is refreshed with a lookup of a random id in it (default 15 min).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest TTL a stored provider record may have; longer ones are shortened to it (default 1 h).</summary>
    public TimeSpan MaxRecordTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The most providers one node keeps for one key (default 256); further providers are refused.</summary>
    public int MaxProvidersPerKey { get; init; } = 256;

    /// <summary>The most provider records and withdrawal markers one node stores over all keys (default 65,536).</summary>
    public int MaxRecordsPerNode { get; init; } = 65_536;

    /// <summary>The largest DHT message sent or accepted, in bytes (default 256 KiB); larger ones are dropped.</summary>
    public int MaxMessageBytes { get; init; } = 256 * 1024;

    /// <summary>The largest encoded provider record, in bytes (default 4 KiB).</summary>
    public int MaxRecordBytes { get; init; } = 4096;

    /// <summary>
    /// How many newcomers (providers or withdrawals of node ids a key does not hold yet) one key admits at once on one
    /// replica; refilled at <see cref="NewEntriesPerKeyPerSecond"/>. Default 128. Updates of held entries are not counted.
    /// </summary>
    public int NewEntriesPerKeyBurst { get; init; } = 128;

    /// <summary>The share of <see cref="NewEntriesPerKeyBurst"/> that senders which never proved their key (by a signed reply) may use together. Default 16.</summary>
    public int NewEntriesPerKeyBurstUnverified { get; init; } = 16;

    /// <summary>How fast a key's newcomer allowance refills, per second (an eighth of it for unverified senders). Default 2.</summary>
    public double NewEntriesPerKeyPerSecond { get; init; } = 2;

    /// <summary>
    /// Whether this node serves the DHT (answers requests, stores records, sits in other nodes' routing tables) or only
    /// asks, as a short-lived tool or a node that provides nothing does. Default <see cref="DhtMode.Auto"/>: a client
    /// until the node provides its first service. See docs/dht.md#client-mode.
    /// </summary>
    public DhtMode Mode { get; init; } = DhtMode.Auto;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option with a bad value.</summary>
    public void Validate()
    {
        Check(K is >= 1 and <= 256, nameof(K), K, "between 1 and 256");
        Check(Alpha >= 1 && Alpha <= K, nameof(Alpha), Alpha, "between 1 and K");
        Check(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), RequestTimeout, "positive");
        Check(RepublishInterval > TimeSpan.Zero, nameof(RepublishInterval), RepublishInterval, "positive");
        Check(RefreshInterval > TimeSpan.Zero, nameof(RefreshInterval), RefreshInterval, "positive");
        Check(MaxRecordTtl > TimeSpan.Zero, nameof(MaxRecordTtl), MaxRecordTtl, "positive");
        Check(MaxProvidersPerKey >= 1, nameof(MaxProvidersPerKey), MaxProvidersPerKey, "at least 1");
        Check(MaxRecordsPerNode >= MaxProvidersPerKey, nameof(MaxRecordsPerNode), MaxRecordsPerNode, "at least MaxProvidersPerKey");
        Check(MaxRecordBytes >= 64, nameof(MaxRecordBytes), MaxRecordBytes, "at least 64");
        Check(NewEntriesPerKeyBurst >= 1, nameof(NewEntriesPerKeyBurst), NewEntriesPerKeyBurst, "at least 1");
        Check(NewEntriesPerKeyBurstUnverified >= 0 && NewEntriesPerKeyBurstUnverified <= NewEntriesPerKeyBurst, nameof(NewEntriesPerKeyBurstUnverified), NewEntriesPerKeyBurstUnverified, "between 0 and NewEntriesPerKeyBurst");
        Check(NewEntriesPerKeyPerSecond > 0 && double.IsFinite(NewEntriesPerKeyPerSecond), nameof(NewEntriesPerKeyPerSecond), NewEntriesPerKeyPerSecond, "positive");
        Check(Enum.IsDefined(Mode), nameof(Mode), Mode, "Auto, Server or Client");
        // A reply must hold K contacts of the longest node id and one record of the largest size.
        int least = MaxRecordBytes + (K * 131) + 1024;
        Check(MaxMessageBytes >= least, nameof(MaxMessageBytes), MaxMessageBytes, $"at least MaxRecordBytes + 131 * K + 1024 ({least})");
    }

    private static void Check(bool ok, string name, object value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"DhtOptions.{name} must be {rule}, but was {value}.", name);
        }
    }
}
