namespace Macula;

/// <summary>One provider of a service as advertised in discovery.</summary>
/// <param name="NodeId">The provider's node id; records are merged by it.</param>
/// <param name="Subject">The subject its calls are sent to.</param>
/// <param name="Metadata">
/// The signed metadata: the node's free-form entries and the reserved <c>macula.*</c> ones behind
/// <see cref="Version"/>, <see cref="Zone"/>, <see cref="Tags"/> and the contract fingerprints.
/// </param>
/// <param name="Ttl">How long the record lives unless re-advertised.</param>
/// <param name="AdvertisedAt">When the record was (re-)advertised.</param>
public sealed record ProviderRecord(string NodeId, string Subject, IReadOnlyDictionary<string, string> Metadata, TimeSpan Ttl, DateTimeOffset AdvertisedAt)
{
    /// <summary>
    /// The public key (a NATS user nkey, <c>U...</c>) of the node that signed this record, verified by every node
    /// that stored or returned it; <see langword="null"/> on a record that has not been through the DHT yet.
    /// </summary>
    public string? PublicKey { get; init; }

    /// <summary>The provider's semantic version (<see cref="ProviderOptions.Version"/>), or <see langword="null"/> when it advertised none.</summary>
    public string? Version => Metadata.GetValueOrDefault(ProviderMetadata.Version);

    /// <summary>The provider's zone (<see cref="ProviderOptions.Zone"/> or <see cref="MaculaNodeOptions.Zone"/>), or <see langword="null"/>.</summary>
    public string? Zone => Metadata.GetValueOrDefault(ProviderMetadata.Zone);

    /// <summary>The provider's tags (<see cref="ProviderOptions.Tags"/>), read from <see cref="Metadata"/> (a new dictionary each time).</summary>
    public IReadOnlyDictionary<string, string> Tags => ProviderMetadata.TagsOf(Metadata);

    /// <summary>When the record expires.</summary>
    public DateTimeOffset ExpiresAt => AdvertisedAt + Ttl;

    /// <summary>Whether the record has expired at <paramref name="now"/>.</summary>
    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;
}
