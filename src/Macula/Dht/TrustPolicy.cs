using System.Collections.Concurrent;
using Macula.Security;

namespace Macula.Dht;

/// <summary>What a trust policy decided about a node's claim to speak as a node id.</summary>
/// <param name="Accepted">Whether the claim is accepted.</param>
/// <param name="NameBound">
/// Whether the node id is bound to the key by itself (derived from the key, or named by a valid certificate).
/// An accepted claim that is not bound (a chosen name in <see cref="TrustMode.Open"/>) is bound by the receiver to
/// the first key it saw for the name (see DhtStorage).
/// </param>
/// <param name="Reason">Why it was refused, for logs and metrics; empty when accepted.</param>
internal readonly record struct TrustVerdict(bool Accepted, bool NameBound, string Reason)
{
    public static TrustVerdict Refuse(string reason) => new(false, false, reason);
}

/// <summary>
/// Decides whether a signed claim "node id N speaks with public key K (and certificate C)" is acceptable in a realm,
/// by the rules of docs/security.md. The signature over the claim itself is checked by the caller; this checks the
/// binding of N to K and whether K is trusted.
/// </summary>
internal sealed class TrustPolicy
{
    private const int CertificateCacheSize = 4096;

    private readonly TrustOptions _options;
    private readonly string _realm;
    private readonly HashSet<string> _trustedNodeKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _trustedRealmKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, NodeCertificate?> _certificates = new(StringComparer.Ordinal);

    public TrustPolicy(TrustOptions options, string realm)
    {
        options.Validate();
        _options = options;
        _realm = realm;
        foreach (string key in options.TrustedNodeKeys)
        {
            _trustedNodeKeys.Add(key.Trim());
        }

        foreach (string key in options.TrustedRealmKeys)
        {
            _trustedRealmKeys.Add(key.Trim());
        }
    }

    public TrustMode Mode => _options.Mode;

    public TimeSpan MaxClockSkew => _options.MaxClockSkew;

    /// <summary>Judges the claim of <paramref name="nodeId"/> with the raw <paramref name="publicKey"/> and optional certificate text.</summary>
    public TrustVerdict Evaluate(string nodeId, ReadOnlySpan<byte> publicKey, string? certificate, DateTimeOffset now)
    {
        if (publicKey.Length != Signing.PublicKeySize)
        {
            return TrustVerdict.Refuse("no valid public key");
        }

        bool derived = string.Equals(nodeId, NodeIdentity.DeriveNodeId(publicKey), StringComparison.Ordinal);
        if (certificate is not null)
        {
            return EvaluateCertificate(nodeId, publicKey, certificate, now);
        }

        if (!derived && LooksDerived(nodeId))
        {
            // Ids of this shape are reserved for ids derived from keys: nobody may squat another key's id.
            return TrustVerdict.Refuse($"node id '{Quote(nodeId)}' has the form of a derived id but is not derived from its key");
        }

        if (_options.Mode == TrustMode.Open)
        {
            return new TrustVerdict(true, derived, "");
        }

        if (!derived)
        {
            return TrustVerdict.Refuse($"node id '{Quote(nodeId)}' is not derived from its key and has no certificate");
        }

        string key = NKeyText.EncodePublic(NKeyText.NodePrefix, publicKey);
        return _trustedNodeKeys.Contains(key)
            ? new TrustVerdict(true, true, "")
            : TrustVerdict.Refuse($"key {key} is not trusted");
    }

    private TrustVerdict EvaluateCertificate(string nodeId, ReadOnlySpan<byte> publicKey, string text, DateTimeOffset now)
    {
        var certificate = Parse(text);
        if (certificate is null)
        {
            return TrustVerdict.Refuse("its certificate is not valid");
        }

        if (!string.Equals(certificate.Realm, _realm, StringComparison.Ordinal))
        {
            return TrustVerdict.Refuse($"its certificate is for realm '{Quote(certificate.Realm)}'");
        }

        if (!string.Equals(certificate.NodeId, nodeId, StringComparison.Ordinal))
        {
            return TrustVerdict.Refuse($"its certificate names node '{Quote(certificate.NodeId)}', not '{Quote(nodeId)}'");
        }

        if (!string.Equals(certificate.NodePublicKey, NKeyText.EncodePublic(NKeyText.NodePrefix, publicKey), StringComparison.Ordinal))
        {
            return TrustVerdict.Refuse("its certificate is for another key");
        }

        if (!certificate.IsValidAt(now, _options.MaxClockSkew))
        {
            return TrustVerdict.Refuse($"its certificate is valid from {certificate.NotBefore:u} to {certificate.Expires:u}, not now");
        }

        if (_options.Mode == TrustMode.Enforced && !_trustedRealmKeys.Contains(certificate.Issuer))
        {
            return TrustVerdict.Refuse($"its certificate's issuer {certificate.Issuer} is not a trusted realm key");
        }

        return new TrustVerdict(true, true, "");
    }

    private NodeCertificate? Parse(string text)
    {
        if (_certificates.TryGetValue(text, out var cached))
        {
            return cached;
        }

        NodeCertificate.TryParse(text, out var certificate, out _);
        if (_certificates.Count >= CertificateCacheSize)
        {
            _certificates.Clear(); // bounded: a flood of distinct certificates costs verifications, never memory
        }

        _certificates[text] = certificate;
        return certificate;
    }

    /// <summary>Whether <paramref name="nodeId"/> has the form of an id derived from a key: 32 lowercase hex digits.</summary>
    public static bool LooksDerived(string nodeId)
    {
        if (nodeId.Length != 32)
        {
            return false;
        }

        foreach (char c in nodeId)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Quotes text from the wire in a log line: at most 64 characters.</summary>
    private static string Quote(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");
}
