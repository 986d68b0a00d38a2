using Macula.Security;
using NATS.NKeys;

namespace Macula.Tests.Security;

public sealed class NodeIdentityTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("macula-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_public_key_and_seed_are_nats_user_nkeys_that_NATS_NKeys_reads_as_the_same_key()
    {
        using var identity = NodeIdentity.Create();

        Assert.StartsWith("U", identity.PublicKey, StringComparison.Ordinal);
        Assert.True(KeyPair.IsValidPublicKey(PrefixByte.User, identity.PublicKey));
        using var nkeys = KeyPair.FromSeed(identity.GetSeed());
        Assert.Equal(identity.PublicKey, nkeys.GetPublicKey());
        Assert.Equal(PrefixByte.User, nkeys.Prefix);
    }

    [Fact]
    public void A_seed_made_by_NATS_NKeys_loads_as_the_identity_with_that_public_key()
    {
        using var nkeys = KeyPair.CreatePair(PrefixByte.User);

        using var identity = NodeIdentity.FromSeed(nkeys.GetSeed());

        Assert.Equal(nkeys.GetPublicKey(), identity.PublicKey);
        Assert.Equal(nkeys.GetSeed(), identity.GetSeed());
    }

    [Fact]
    public void A_signature_verifies_only_for_the_same_key_context_and_message()
    {
        using var identity = NodeIdentity.Create();
        using var other = NodeIdentity.Create();
        byte[] message = "a provider record"u8.ToArray();
        byte[] signature = new byte[Signing.SignatureSize];
        identity.Sign("ctx/a"u8, message, signature);

        Assert.True(Signing.Verify(identity.PublicKeyBytes, "ctx/a"u8, message, signature));
        Assert.False(Signing.Verify(other.PublicKeyBytes, "ctx/a"u8, message, signature));
        Assert.False(Signing.Verify(identity.PublicKeyBytes, "ctx/b"u8, message, signature));
        message[0] ^= 1;
        Assert.False(Signing.Verify(identity.PublicKeyBytes, "ctx/a"u8, message, signature));
        Assert.False(Signing.Verify(identity.PublicKeyBytes[..31], "ctx/a"u8, message, signature));
        Assert.False(Signing.Verify(identity.PublicKeyBytes, "ctx/a"u8, message, signature.AsSpan(0, 63)));
    }

    [Fact]
    public void The_default_node_id_is_derived_from_the_public_key_as_32_hex_digits()
    {
        using var identity = NodeIdentity.Create();
        using var again = NodeIdentity.FromSeed(identity.GetSeed());
        using var other = NodeIdentity.Create();

        Assert.Matches("^[0-9a-f]{32}$", identity.DefaultNodeId);
        Assert.Equal(identity.DefaultNodeId, again.DefaultNodeId);
        Assert.NotEqual(identity.DefaultNodeId, other.DefaultNodeId);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(identity.PublicKeyBytes))[..32], identity.DefaultNodeId);
    }

    [Fact]
    public void Saved_identities_are_owner_only_never_overwritten_and_load_back()
    {
        string path = Path.Combine(_directory, "node.nk");
        using var identity = NodeIdentity.Create();
        identity.Save(path);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Throws<IOException>(() => NodeIdentity.Create().Save(path));
        using var loaded = NodeIdentity.Load(path);
        Assert.Equal(identity.PublicKey, loaded.PublicKey);
    }

    [Fact]
    public void LoadOrCreate_creates_the_file_once_and_then_loads_the_same_identity()
    {
        string path = Path.Combine(_directory, "sub-node.nk");

        using var first = NodeIdentity.LoadOrCreate(path);
        using var second = NodeIdentity.LoadOrCreate(path);

        Assert.True(File.Exists(path));
        Assert.Equal(first.PublicKey, second.PublicKey);
    }

    [Fact]
    public void A_file_with_nats_comments_around_the_seed_loads()
    {
        using var nkeys = KeyPair.CreatePair(PrefixByte.User);
        string path = Path.Combine(_directory, "user.nk");
        File.WriteAllText(path, "-----BEGIN USER NKEY SEED-----\n" + nkeys.GetSeed() + "\n------END USER NKEY SEED------\n");

        using var identity = NodeIdentity.Load(path);

        Assert.Equal(nkeys.GetPublicKey(), identity.PublicKey);
    }

    [Fact]
    public void A_file_without_a_node_seed_is_refused_with_its_path_in_the_message()
    {
        string path = Path.Combine(_directory, "empty.nk");
        File.WriteAllText(path, "# nothing here\n");

        var ex = Assert.Throws<InvalidDataException>(() => NodeIdentity.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => NodeIdentity.Load(Path.Combine(_directory, "missing.nk")));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("SUNOTASEED", "length")]
    [InlineData("su!!", "base32")]
    public void A_malformed_seed_is_refused_saying_why(string seed, string why)
    {
        var ex = Assert.Throws<ArgumentException>(() => NodeIdentity.FromSeed(seed));

        Assert.Contains(why, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_realm_seed_or_a_seed_with_a_bad_checksum_is_not_a_node_seed()
    {
        using var realm = RealmKey.Create();
        string seed = NodeIdentity.Create().GetSeed();
        // One character inside the key's bytes: the last one also holds base32 padding bits, which decode to nothing,
        // so changing only those (A to B) left the bytes, and the checksum, intact.
        char changed = seed[10] == 'A' ? 'B' : 'A';
        string damaged = seed[..10] + changed + seed[11..];

        Assert.Contains("not a node seed", Assert.Throws<ArgumentException>(() => NodeIdentity.FromSeed(realm.GetSeed())).Message, StringComparison.Ordinal);
        Assert.Contains("checksum", Assert.Throws<ArgumentException>(() => NodeIdentity.FromSeed(damaged)).Message, StringComparison.Ordinal);
        Assert.Contains("not a realm seed", Assert.Throws<ArgumentException>(() => RealmKey.FromSeed(seed)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_realm_key_is_a_nats_account_nkey()
    {
        using var realm = RealmKey.Create();

        Assert.True(KeyPair.IsValidPublicKey(PrefixByte.Account, realm.PublicKey));
        using var nkeys = KeyPair.FromSeed(realm.GetSeed());
        Assert.Equal(realm.PublicKey, nkeys.GetPublicKey());
        using var again = RealmKey.FromSeed(realm.GetSeed());
        Assert.Equal(realm.PublicKey, again.PublicKey);
    }
}
