using System.Text;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>
/// Every way to authenticate and secure a connection, each against a real nats-server configured for it by the test
/// (config file, NKeys, JWT creds, CA and certificates all made here). A wrong credential is refused with an error
/// that names the server and the reason, within the connect timeout.
/// </summary>
public sealed class AuthMatrixTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macula-nats-auth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Nkey_user_connects_with_its_seed_file_and_another_seed_is_refused()
    {
        var (user, seed) = NatsAuth.NewUserNKey();
        await using var server = await StartAsync($"authorization {{ users = [ {{ nkey: \"{user}\" }} ] }}");

        await using var right = new NatsTransport(TestTimes.Options(server.Url) with { NKeySeedFile = Write("user.nk", seed) });
        await right.ConnectAsync();
        await AssertRoundTripAsync(right);

        var (_, otherSeed) = NatsAuth.NewUserNKey();
        await AssertRefusedAsync(server, TestTimes.Options(server.Url) with { NKeySeedFile = Write("other.nk", otherSeed) }, "authorization violation");
        await AssertRefusedAsync(server, TestTimes.Options(server.Url), "authorization violation");
    }

    [Fact]
    public async Task Jwt_creds_of_the_trusted_account_connect_and_creds_of_an_unknown_account_are_refused()
    {
        using var op = new NatsAuth.Operator();
        await using var server = await StartAsync(op.ServerConfig());

        await using var right = new NatsTransport(TestTimes.Options(server.Url) with { CredsFile = op.WriteUserCreds(Path.Combine(_dir, "user.creds")) });
        await right.ConnectAsync();
        await AssertRoundTripAsync(right);

        await AssertRefusedAsync(server, TestTimes.Options(server.Url) with { CredsFile = NatsAuth.Operator.WriteForeignCreds(Path.Combine(_dir, "foreign.creds")) }, "authorization violation");
    }

    [Fact]
    public async Task User_and_password_from_a_config_file()
    {
        await using var server = await StartAsync("authorization { users = [ { user: \"app\", password: \"pw-from-config\" } ] }");
        await using var right = new NatsTransport(TestTimes.Options(server.Url) with { User = "app", Password = "pw-from-config" });
        await right.ConnectAsync();
        await AssertRoundTripAsync(right);
        await AssertRefusedAsync(server, TestTimes.Options(server.Url) with { User = "app", Password = "wrong" }, "authorization violation");
    }

    [Fact]
    public async Task Tls_client_certificate_is_required_by_a_verifying_server()
    {
        using var pki = TestPki.Create();
        await using var server = await StartAsync($"tls {{ cert_file: \"{pki.ServerCertFile}\", key_file: \"{pki.ServerKeyFile}\", ca_file: \"{pki.CaFile}\", verify: true, timeout: 5 }}");

        await using var withCert = new NatsTransport(TestTimes.Options(server.Url) with { TlsCaFile = pki.CaFile, TlsCertFile = pki.ClientCertFile, TlsKeyFile = pki.ClientKeyFile });
        await withCert.ConnectAsync();
        await AssertRoundTripAsync(withCert);

        // Without a certificate the server ends the handshake; the error still names the server.
        await AssertRefusedAsync(server, TestTimes.Options(server.Url) with { TlsCaFile = pki.CaFile }, reason: null);
    }

    [Fact]
    public async Task Tls_first_starts_the_handshake_before_any_nats_traffic()
    {
        // nats-server 2.9.10 has no handshake_first (2.10 added it: "unknown field" in 2.9's tls block), so a TLS
        // endpoint made here stands in for it in front of a plain server.
        using var pki = TestPki.Create();
        await using var server = await NatsServerProcess.StartNewAsync();
        await using var terminator = new TlsTerminator(pki.LoadServerCertificate(), server.Port);

        await using var first = new NatsTransport(TestTimes.Options(terminator.Url) with { TlsFirst = true, TlsCaFile = pki.CaFile });
        await first.ConnectAsync();
        await AssertRoundTripAsync(first);
        Assert.Equal(1, terminator.TlsFirstClients);
        Assert.Equal(0, terminator.OtherClients);

        // A TLS-first client at a 2.9 server that sends INFO in the clear fails, and says so, rather than hanging.
        await using var tlsServer = await NatsServerProcess.StartNewAsync("--tls", "--tlscert", pki.ServerCertFile, "--tlskey", pki.ServerKeyFile);
        await AssertRefusedAsync(tlsServer, TestTimes.Options(tlsServer.Url) with { TlsFirst = true, TlsCaFile = pki.CaFile }, reason: null);
    }

    [Fact]
    public async Task Websocket_clients_talk_with_tcp_clients()
    {
        int wsPort = NatsServerProcess.FreePort();
        await using var server = await StartAsync($"websocket {{ listen: \"127.0.0.1:{wsPort}\", no_tls: true }}");
        await using var overWebSocket = new NatsTransport(TestTimes.Options($"ws://127.0.0.1:{wsPort}"));
        await using var overTcp = new NatsTransport(TestTimes.Options(server.Url));
        await overWebSocket.ConnectAsync();
        await overTcp.ConnectAsync();
        Assert.Equal($"ws://127.0.0.1:{wsPort}", overWebSocket.ConnectedServer);

        IMaculaTransport responder = overTcp;
        await using var sub = await responder.SubscribeAsync("ws.echo", async m => await responder.PublishAsync(m.ReplyTo!, m.Payload, new MaculaHeaders { { "Via", "tcp" } }));
        var reply = await ((IMaculaTransport)overWebSocket).RequestAsync("ws.echo", "over websocket"u8.ToArray(), new MaculaHeaders { { "H", "v" } }, TimeSpan.FromSeconds(10));
        Assert.Equal("over websocket", Encoding.UTF8.GetString(reply.Payload.Span));
        Assert.Equal("tcp", reply.Headers!["Via"]);
    }

    private async Task<NatsServerProcess> StartAsync(string config)
    {
        string path = Write($"server-{Guid.NewGuid():N}.conf", config);
        return await NatsServerProcess.StartNewAsync("-c", path);
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task AssertRefusedAsync(NatsServerProcess server, NatsOptions options, string? reason)
    {
        await using var transport = new NatsTransport(options);
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.ConnectAsync().AsTask().WaitAsync(TestTimes.Wait));
        Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
        Assert.Contains($"127.0.0.1:{server.Port}", e.Message);
        if (reason is not null)
        {
            Assert.Contains(reason, e.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.False(transport.IsConnected);
    }

    private static async Task AssertRoundTripAsync(NatsTransport transport)
    {
        IMaculaTransport t = transport;
        await using var sub = await t.SubscribeAsync("secure.echo", async m => await t.PublishAsync(m.ReplyTo!, m.Payload));
        var reply = await t.RequestAsync("secure.echo", "ping"u8.ToArray(), new MaculaHeaders { { "H", "v" } }, TimeSpan.FromSeconds(10));
        Assert.Equal("ping", Encoding.UTF8.GetString(reply.Payload.Span));
    }
}
