using Macula.Security;

namespace Macula;

/// <summary>The trust policy of a node's realm: whose signed records, withdrawals and DHT replies it accepts.</summary>
public sealed record TrustOptions
{
    /// <summary><see cref="TrustMode.Open"/> with the default clock skew.</summary>
    public static TrustOptions Default { get; } = new();

    /// <summary>Open (any validly signed node) or enforced (trusted keys only). Default <see cref="TrustMode.Open"/>.</summary>
    public TrustMode Mode { get; init; } = TrustMode.Open;

    /// <summary>Node public keys (<c>U...</c>) trusted in <see cref="TrustMode.Enforced"/> mode, each with the node id derived from it.</summary>
    public IReadOnlyList<string> TrustedNodeKeys { get; init; } = [];

    /// <summary>Realm public keys (<c>A...</c>) whose <see cref="NodeCertificate"/>s are trusted in <see cref="TrustMode.Enforced"/> mode.</summary>
    public IReadOnlyList<string> TrustedRealmKeys { get; init; } = [];

    /// <summary>
    /// How far ahead of this node's clock a signed timestamp may be before it is refused (and how far a certificate's
    /// validity is stretched either side). Default 30 s.
    /// </summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(TrustedNodeKeys, nameof(TrustedNodeKeys));
        ArgumentNullException.ThrowIfNull(TrustedRealmKeys, nameof(TrustedRealmKeys));
        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "TrustOptions.Mode must be Open or Enforced.");
        }

        Span<byte> raw = stackalloc byte[NKeyText.KeySize];
        for (int i = 0; i < TrustedNodeKeys.Count; i++)
        {
            if (!NKeyText.TryDecodePublic(TrustedNodeKeys[i], NKeyText.NodePrefix, raw, out string error))
            {
                throw new ArgumentException($"TrustOptions.TrustedNodeKeys[{i}] '{TrustedNodeKeys[i]}' {error}.", nameof(TrustedNodeKeys));
            }
        }

        for (int i = 0; i < TrustedRealmKeys.Count; i++)
        {
            if (!NKeyText.TryDecodePublic(TrustedRealmKeys[i], NKeyText.RealmPrefix, raw, out string error))
            {
                throw new ArgumentException($"TrustOptions.TrustedRealmKeys[{i}] '{TrustedRealmKeys[i]}' {error}.", nameof(TrustedRealmKeys));
            }
        }

        if (Mode == TrustMode.Enforced && TrustedNodeKeys.Count == 0 && TrustedRealmKeys.Count == 0)
        {
            throw new ArgumentException("TrustOptions.Mode is Enforced but neither TrustedNodeKeys nor TrustedRealmKeys is set: no node could ever be trusted.", nameof(Mode));
        }

        if (MaxClockSkew < TimeSpan.Zero || MaxClockSkew > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxClockSkew), MaxClockSkew, "TrustOptions.MaxClockSkew must be between 0 and 1 hour.");
        }
    }
}
