using System.Security.Cryptography;
using Macula.Security;
using Key = NSec.Cryptography.Key;

namespace Macula;

/// <summary>
/// A realm's signing key: the authority of a realm in <see cref="TrustMode.Enforced"/> mode. It issues
/// <see cref="NodeCertificate"/>s that bind a node id to a node's public key; nodes trust the realm's public key
/// (<see cref="TrustOptions.TrustedRealmKeys"/>). Its text forms are NATS account nkeys (<c>A...</c>, seed
/// <c>SA...</c>). Keep the seed offline: only the tool that signs certificates needs it (<c>macula keys sign</c>).
/// </summary>
public sealed class RealmKey : IDisposable
{
    private readonly Key _key;
    private readonly byte[] _publicKey;

    private RealmKey(Key key)
    {
        _key = key;
        _publicKey = Signing.PublicKeyOf(key);
        PublicKey = NKeyText.EncodePublic(NKeyText.RealmPrefix, _publicKey);
    }

    /// <summary>The public key as a NATS account nkey (<c>A</c> followed by 55 base32 characters).</summary>
    public string PublicKey { get; }

    /// <summary>Creates a new random realm key.</summary>
    public static RealmKey Create() => new(Signing.NewKey());

    /// <summary>Loads a realm key from its seed (<c>SA...</c>).</summary>
    /// <exception cref="ArgumentException">The text is not an account nkey seed; the message says why.</exception>
    public static RealmKey FromSeed(string seed) => new(Signing.ImportSeedText(seed, NKeyText.RealmPrefix, "realm"));

    /// <summary>Loads the realm key whose seed is in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file holds no realm seed; the message names the file and why.</exception>
    public static RealmKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string seed = KeyFile.ReadSeed(path, "SA") ?? throw new InvalidDataException($"The key file '{path}' holds no realm seed (a line starting with 'SA').");
        try
        {
            return FromSeed(seed);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The key file '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Writes the seed to a new file at <paramref name="path"/>, readable and writable by the owner only.</summary>
    /// <exception cref="IOException">The file already exists (a key is never overwritten).</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        KeyFile.WriteNew(path, "# Macula realm key (a NATS account nkey seed). Public key: " + PublicKey, GetSeed());
    }

    /// <summary>The seed (the private key) as a NATS account nkey seed. Keep it secret.</summary>
    public string GetSeed()
    {
        byte[] seed = Signing.ExportSeed(_key);
        try
        {
            return NKeyText.EncodeSeed(NKeyText.RealmPrefix, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>
    /// Issues a certificate that lets the node with <paramref name="nodePublicKey"/> speak as
    /// <paramref name="nodeId"/> in <paramref name="realm"/>, from <paramref name="notBefore"/> (default now) for
    /// <paramref name="validFor"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A value is not valid; the message names it.</exception>
    public NodeCertificate Issue(string realm, string nodeId, string nodePublicKey, TimeSpan validFor, DateTimeOffset? notBefore = null)
    {
        Validation.RequireToken(realm, "realm");
        Validation.RequireToken(nodeId, "nodeId");
        Span<byte> raw = stackalloc byte[NKeyText.KeySize];
        if (!NKeyText.TryDecodePublic(nodePublicKey, NKeyText.NodePrefix, raw, out string error))
        {
            throw new ArgumentException($"The node public key '{nodePublicKey}' {error}.", nameof(nodePublicKey));
        }

        if (validFor <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(validFor), validFor, "A certificate must be valid for a positive time.");
        }

        var from = DateTimeOffset.FromUnixTimeSeconds((notBefore ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
        var until = from + validFor;
        return NodeCertificate.Sign(this, realm, nodeId, nodePublicKey.Trim(), from, until);
    }

    internal void Sign(ReadOnlySpan<byte> context, ReadOnlySpan<byte> message, Span<byte> signature) => Signing.Sign(_key, context, message, signature);

    /// <summary>Releases the key.</summary>
    public void Dispose() => _key.Dispose();

    /// <inheritdoc />
    public override string ToString() => "RealmKey " + PublicKey;
}
