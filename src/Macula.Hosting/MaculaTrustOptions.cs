namespace Macula.Hosting;

/// <summary>The trust policy of a hosted node, bindable from <c>Macula:Trust</c>; see <see cref="TrustOptions"/>.</summary>
public sealed class MaculaTrustOptions
{
    /// <summary>Open (any validly signed node) or Enforced (trusted keys only). Default Open.</summary>
    public TrustMode Mode { get; set; } = TrustMode.Open;

    /// <summary>Node public keys (<c>U...</c>) trusted in enforced mode.</summary>
    public List<string> TrustedNodeKeys { get; set; } = [];

    /// <summary>Realm public keys (<c>A...</c>) whose certificates are trusted in enforced mode.</summary>
    public List<string> TrustedRealmKeys { get; set; } = [];

    /// <summary>How far ahead of this node's clock a signed time may be. Default 30 s.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TrustOptions.Default.MaxClockSkew;

    internal TrustOptions ToTrustOptions() => new()
    {
        Mode = Mode,
        TrustedNodeKeys = [.. TrustedNodeKeys],
        TrustedRealmKeys = [.. TrustedRealmKeys],
        MaxClockSkew = MaxClockSkew,
    };
}
