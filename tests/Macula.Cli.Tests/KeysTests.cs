using Macula.Cli.Tests.Infrastructure;

namespace Macula.Cli.Tests;

/// <summary><c>macula keys</c>: offline key management, checked against the runtime's own key and certificate types.</summary>
public sealed class KeysTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("macula-cli-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Keys_new_node_writes_a_seed_file_that_loads_as_the_printed_identity()
    {
        string path = Path.Combine(_directory, "node.nk");

        var json = (await MaculaTool.RunAsync("keys", "new", "node", "--out", path, "--json")).Succeeded().Json();

        using var identity = NodeIdentity.Load(path);
        Assert.Equal("node", json.GetProperty("kind").GetString());
        Assert.Equal(identity.PublicKey, json.GetProperty("public_key").GetString());
        Assert.Equal(identity.DefaultNodeId, json.GetProperty("node_id").GetString());
        Assert.False(json.TryGetProperty("seed", out _));
    }

    [Fact]
    public async Task Keys_new_realm_without_a_file_prints_a_seed_that_is_the_printed_key()
    {
        var json = (await MaculaTool.RunAsync("keys", "new", "realm", "--json")).Succeeded().Json();

        using var realm = RealmKey.FromSeed(json.GetProperty("seed").GetString()!);
        Assert.Equal(realm.PublicKey, json.GetProperty("public_key").GetString());
    }

    [Fact]
    public async Task Keys_new_never_overwrites_a_file()
    {
        string path = Path.Combine(_directory, "taken.nk");
        await File.WriteAllTextAsync(path, "precious");

        string line = (await MaculaTool.RunAsync("keys", "new", "node", "--out", path)).FailedWith(1);

        Assert.Contains("already exists", line, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Keys_show_tells_a_node_file_from_a_realm_file()
    {
        string nodePath = Path.Combine(_directory, "n.nk");
        string realmPath = Path.Combine(_directory, "r.nk");
        using var node = NodeIdentity.Create();
        using var realm = RealmKey.Create();
        node.Save(nodePath);
        realm.Save(realmPath);

        var shownNode = (await MaculaTool.RunAsync("keys", "show", nodePath, "--json")).Succeeded().Json();
        var shownRealm = (await MaculaTool.RunAsync("keys", "show", realmPath, "--json")).Succeeded().Json();
        string text = (await MaculaTool.RunAsync("keys", "show", nodePath)).Succeeded().Stdout;

        Assert.Equal(("node", node.PublicKey, node.DefaultNodeId), (shownNode.GetProperty("kind").GetString(), shownNode.GetProperty("public_key").GetString(), shownNode.GetProperty("node_id").GetString()));
        Assert.Equal(("realm", realm.PublicKey), (shownRealm.GetProperty("kind").GetString(), shownRealm.GetProperty("public_key").GetString()));
        Assert.Contains(node.PublicKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(node.GetSeed(), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_show_of_a_file_without_a_seed_fails_in_one_line_naming_it()
    {
        string path = Path.Combine(_directory, "junk.nk");
        await File.WriteAllTextAsync(path, "hello\n");

        string line = (await MaculaTool.RunAsync("keys", "show", path)).FailedWith(1);

        Assert.Contains(path, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_sign_prints_a_certificate_for_the_realm_node_and_key_signed_by_the_realm_key()
    {
        string realmPath = Path.Combine(_directory, "realm.nk");
        using var realm = RealmKey.Create();
        realm.Save(realmPath);
        using var node = NodeIdentity.Create();

        string text = (await MaculaTool.RunAsync("keys", "sign", "--realm-key", realmPath, "--node-key", node.PublicKey, "--node-id", "orders-1", "--realm", "prod", "--days", "30")).Succeeded().Stdout.Trim();

        var certificate = NodeCertificate.Parse(text);
        Assert.Equal(("prod", "orders-1", node.PublicKey, realm.PublicKey), (certificate.Realm, certificate.NodeId, certificate.NodePublicKey, certificate.Issuer));
        Assert.Equal(TimeSpan.FromDays(30), certificate.Expires - certificate.NotBefore);
    }

    [Fact]
    public async Task Keys_sign_with_a_node_file_as_realm_key_or_a_bad_node_key_is_refused_in_one_line()
    {
        string nodePath = Path.Combine(_directory, "not-realm.nk");
        string realmPath = Path.Combine(_directory, "realm2.nk");
        using var node = NodeIdentity.Create();
        using var realm = RealmKey.Create();
        node.Save(nodePath);
        realm.Save(realmPath);

        string wrongFile = (await MaculaTool.RunAsync("keys", "sign", "--realm-key", nodePath, "--node-key", node.PublicKey, "--node-id", "n1")).FailedWith(1);
        string wrongKey = (await MaculaTool.RunAsync("keys", "sign", "--realm-key", realmPath, "--node-key", realm.PublicKey, "--node-id", "n1")).FailedWith(2);
        string badDays = (await MaculaTool.RunAsync("keys", "sign", "--realm-key", realmPath, "--node-key", node.PublicKey, "--node-id", "n1", "--days", "0")).FailedWith(2);

        Assert.Contains("no realm seed", wrongFile, StringComparison.Ordinal);
        Assert.Contains("not a node public key", wrongKey, StringComparison.Ordinal);
        Assert.Contains("--days 0", badDays, StringComparison.Ordinal);
    }
}
