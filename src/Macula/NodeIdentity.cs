using System.Security.Cryptography;
using Macula.Security;
using Key = NSec.Cryptography.Key;

namespace Macula;

/// <summary>
/// A node's Ed25519 key pair. The node signs with it everything it says for itself on the bus (provider records,
/// withdrawals, discovery announcements, DHT replies), and every receiver verifies before it stores, returns or acts.
/// Its text forms are NATS nkeys: the public key <c>U...</c> (<see cref="PublicKey"/>) and the seed <c>SU...</c>
/// (<see cref="GetSeed"/>), so the same seed can also authenticate the node to nats-server as an nkey user.
/// </summary>
/// <remarks>
/// A node started without an identity gets an ephemeral one. A node id is bound to its key: the default id
/// (<see cref="DefaultNodeId"/>) is derived from the public key, and a chosen name is bound by a
/// <see cref="NodeCertificate"/> from a realm key (or, in <see cref="TrustMode.Open"/>, by the first key a replica
/// saw for it). See docs/security.md.
/// </remarks>
public sealed class NodeIdentity : IDisposable
{
    private readonly Key _key;
    private readonly byte[] _publicKey;

    private NodeIdentity(Key key)
    {
        _key = key;
        _publicKey = Signing.PublicKeyOf(key);
        PublicKey = NKeyText.EncodePublic(NKeyText.NodePrefix, _publicKey);
        DefaultNodeId = DeriveNodeId(_publicKey);
    }

    /// <summary>The public key as a NATS nkey (<c>U</c> followed by 55 base32 characters).</summary>
    public string PublicKey { get; }

    /// <summary>The node id derived from the public key (32 lowercase hex digits): a node started with this identity and no <see cref="MaculaNodeOptions.NodeId"/> uses it.</summary>
    public string DefaultNodeId { get; }

    internal ReadOnlySpan<byte> PublicKeyBytes => _publicKey;

    /// <summary>Creates a new random identity.</summary>
    public static NodeIdentity Create() => new(Signing.NewKey());

    /// <summary>Loads an identity from its seed, a NATS user nkey seed (<c>SU...</c>).</summary>
    /// <exception cref="ArgumentException">The text is not a user nkey seed; the message says why.</exception>
    public static NodeIdentity FromSeed(string seed) => new(Signing.ImportSeedText(seed, NKeyText.NodePrefix, "node"));

    /// <summary>
    /// Loads the identity whose seed is in <paramref name="path"/> (the first line that is not empty or a <c>#</c>
    /// comment, so a file written by <c>nsc</c> or <c>nk -gen user</c> works too).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file holds no node seed; the message names the file and why.</exception>
    public static NodeIdentity Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? seed = KeyFile.ReadSeed(path, "SU");
        if (seed is null)
        {
            throw new InvalidDataException($"The key file '{path}' holds no node seed (a line starting with 'SU').");
        }

        try
        {
            return FromSeed(seed);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The key file '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Loads the identity in <paramref name="path"/>, or creates one and saves it there (readable by the owner only) when the file does not exist.</summary>
    public static NodeIdentity LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            return Load(path);
        }

        var identity = Create();
        try
        {
            identity.Save(path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs, so both agree on one identity.
            identity.Dispose();
            return Load(path);
        }

        return identity;
    }

    /// <summary>Writes the seed to a new file at <paramref name="path"/>, readable and writable by the owner only.</summary>
    /// <exception cref="IOException">The file already exists (a key is never overwritten).</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        KeyFile.WriteNew(path, "# Macula node identity (a NATS user nkey seed). Public key: " + PublicKey, GetSeed());
    }

    /// <summary>The seed (the private key) as a NATS user nkey seed. Keep it secret.</summary>
    public string GetSeed()
    {
        byte[] seed = Signing.ExportSeed(_key);
        try
        {
            return NKeyText.EncodeSeed(NKeyText.NodePrefix, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Signs <paramref name="context"/> then <paramref name="message"/> into a 64-byte signature.</summary>
    internal void Sign(ReadOnlySpan<byte> context, ReadOnlySpan<byte> message, Span<byte> signature) => Signing.Sign(_key, context, message, signature);

    /// <summary>The node id derived from a raw public key: the first 16 bytes of its SHA-256, as lowercase hex.</summary>
    internal static string DeriveNodeId(ReadOnlySpan<byte> publicKey)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(publicKey, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>Releases the key.</summary>
    public void Dispose() => _key.Dispose();

    /// <inheritdoc />
    public override string ToString() => "NodeIdentity " + PublicKey;
}
