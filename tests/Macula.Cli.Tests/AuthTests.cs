using Macula.Cli.Tests.Infrastructure;

namespace Macula.Cli.Tests;

/// <summary>
/// The tool against nats-servers that demand each kind of credential (configured by the test, keys and certificates
/// made here): the right flag connects, a wrong credential fails at once with one line naming the server and the reason.
/// </summary>
public sealed class AuthTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macula-cli-auth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task User_and_password()
    {
        await using var server = await StartAsync("authorization { users = [ { user: \"ops\", password: \"s3cret\" } ] }");
        (await MaculaTool.RunAsync("services", "--nats", server.Url, "--user", "ops", "--password", "s3cret", "--json")).Succeeded();
        AssertRefused(await MaculaTool.RunAsync("services", "--nats", server.Url, "--user", "ops", "--password", "nope"), server);
    }

    [Fact]
    public async Task Token()
    {
        await using var server = await StartAsync("authorization { token: \"t0ken\" }");
        (await MaculaTool.RunAsync("services", "--nats", server.Url, "--token", "t0ken", "--json")).Succeeded();
        AssertRefused(await MaculaTool.RunAsync("services", "--nats", server.Url, "--token", "wrong"), server);
    }

    [Fact]
    public async Task Nkey_seed_file()
    {
        var (user, seed) = NatsAuth.NewUserNKey();
        await using var server = await StartAsync($"authorization {{ users = [ {{ nkey: \"{user}\" }} ] }}");
        (await MaculaTool.RunAsync("services", "--nats", server.Url, "--nkey", Write("user.nk", seed), "--json")).Succeeded();
        AssertRefused(await MaculaTool.RunAsync("services", "--nats", server.Url, "--nkey", Write("other.nk", NatsAuth.NewUserNKey().Seed)), server);
    }

    [Fact]
    public async Task Jwt_creds_file()
    {
        using var op = new NatsAuth.Operator();
        await using var server = await StartAsync(op.ServerConfig());
        (await MaculaTool.RunAsync("services", "--nats", server.Url, "--creds", op.WriteUserCreds(Path.Combine(_dir, "u.creds")), "--json")).Succeeded();
        AssertRefused(await MaculaTool.RunAsync("services", "--nats", server.Url, "--creds", NatsAuth.Operator.WriteForeignCreds(Path.Combine(_dir, "f.creds"))), server);
    }

    [Fact]
    public async Task Tls_with_a_client_certificate()
    {
        using var pki = TestPki.Create();
        await using var server = await StartAsync($"tls {{ cert_file: \"{pki.ServerCertFile}\", key_file: \"{pki.ServerKeyFile}\", ca_file: \"{pki.CaFile}\", verify: true, timeout: 5 }}");
        (await MaculaTool.RunAsync("services", "--nats", server.Url, "--tls-ca", pki.CaFile, "--tls-cert", pki.ClientCertFile, "--tls-key", pki.ClientKeyFile, "--json")).Succeeded();
        string reason = (await MaculaTool.RunAsync("services", "--nats", server.Url, "--tls-ca", pki.CaFile, "--timeout", "3s")).FailedWith(1);
        Assert.Contains($"cannot connect to NATS at {server.Url}", reason);
    }

    [Fact]
    public async Task Websocket_url()
    {
        int port = NatsServerProcess.FreePort();
        await using var server = await StartAsync($"websocket {{ listen: \"127.0.0.1:{port}\", no_tls: true }}");
        (await MaculaTool.RunAsync("services", "--nats", $"ws://127.0.0.1:{port}", "--json")).Succeeded();
    }

    [Theory]
    [InlineData("--creds", "/nonexistent/app.creds")]
    [InlineData("--nkey", "/nonexistent/user.nk")]
    [InlineData("--tls-ca", "/nonexistent/ca.pem")]
    public async Task A_missing_credentials_file_is_a_usage_error_naming_the_flag(string flag, string path)
    {
        string reason = (await MaculaTool.RunAsync("services", flag, path)).FailedWith(2);
        Assert.Contains(flag, reason);
        Assert.Contains(path, reason);
    }

    [Fact]
    public async Task Tls_first_is_accepted()
    {
        // nats-server 2.9.10 cannot do handshake_first: the flag reaches the client, which then fails clearly against
        // a server that sends INFO in the clear (tests/Macula.Nats.Tests covers TLS-first end to end).
        using var pki = TestPki.Create();
        await using var server = await NatsServerProcess.StartNewAsync("--tls", "--tlscert", pki.ServerCertFile, "--tlskey", pki.ServerKeyFile);
        string reason = (await MaculaTool.RunAsync("services", "--nats", server.Url, "--tls-first", "--tls-ca", pki.CaFile, "--timeout", "3s")).FailedWith(1);
        Assert.Contains($"cannot connect to NATS at {server.Url}", reason);
    }

    private static void AssertRefused(CliResult result, NatsServerProcess server)
    {
        string reason = result.FailedWith(1);
        Assert.Contains($"cannot connect to NATS at {server.Url}", reason);
        Assert.Contains("authorization violation", reason, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<NatsServerProcess> StartAsync(string config) => await NatsServerProcess.StartNewAsync("-c", Write($"server-{Guid.NewGuid():N}.conf", config));

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
