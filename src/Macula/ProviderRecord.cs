namespace Macula;

/// <summary>One provider of a service as advertised in discovery.</summary>
/// <param name="NodeId">The provider's node id; records are merged by it.</param>
/// <param name="Subject">The subject its calls are sent to.</param>
/// <param name="Metadata">Free-form metadata (node name, version...).</param>
/// <param name="Ttl">How long the record lives unless re-advertised.</param>
/// <param name="AdvertisedAt">When the record was (re-)advertised.</param>
public sealed record ProviderRecord(string NodeId, string Subject, IReadOnlyDictionary<string, string> Metadata, TimeSpan Ttl, DateTimeOffset AdvertisedAt)
{
    /// <summary>
    /// The public key (a NATS user nkey, <c>U...</c>) of the node that signed this record, verified by every node
    /// that stored or returned it; <see langword="null"/> on a record that has not been through the DHT yet.
    /// </summary>
    public string? PublicKey { get; init; }

    /// <summary>When the record expires.</summary>
    public DateTimeOffset ExpiresAt => AdvertisedAt + Ttl;

    /// <summary>Whether the record has expired at <paramref name="now"/>.</summary>
    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;
}
