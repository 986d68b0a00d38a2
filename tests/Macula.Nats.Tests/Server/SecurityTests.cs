using System.Text;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

public sealed class SecurityTests
{
    [Fact]
    public async Task A_wrong_password_is_refused_naming_the_servers_reason_and_the_right_one_connects()
    {
        await using var server = await NatsServerProcess.StartNewAsync("--user", "macula", "--pass", "s3cret");

        await using (var wrong = new NatsTransport(TestTimes.Options(server.Url) with { User = "macula", Password = "nope" }))
        {
            var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await wrong.ConnectAsync());
            Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
            Assert.Contains("Authorization Violation", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(server.Url, e.Message);
            Assert.False(wrong.IsConnected);
        }

        await using (var anonymous = new NatsTransport(TestTimes.Options(server.Url)))
        {
            var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await anonymous.ConnectAsync());
            Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
        }

        await using var right = new NatsTransport(TestTimes.Options(server.Url) with { User = "macula", Password = "s3cret" });
        await right.ConnectAsync();
        await AssertRoundTripAsync(right);

        // Credentials in the URL work as well.
        await using var inUrl = new NatsTransport(TestTimes.Options($"nats://macula:s3cret@127.0.0.1:{server.Port}"));
        await inUrl.ConnectAsync();
        Assert.Equal(server.Url, inUrl.ConnectedServer);
    }

    [Fact]
    public async Task Token_authentication()
    {
        await using var server = await NatsServerProcess.StartNewAsync("--auth", "t0ken");

        await using (var wrong = new NatsTransport(TestTimes.Options(server.Url) with { Token = "wrong" }))
        {
            var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await wrong.ConnectAsync());
            Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
            Assert.Contains("Authorization Violation", e.Message, StringComparison.OrdinalIgnoreCase);
        }

        await using var right = new NatsTransport(TestTimes.Options(server.Url) with { Token = "t0ken" });
        await right.ConnectAsync();
        await AssertRoundTripAsync(right);
    }

    [Fact]
    public async Task Tls_with_a_ca_made_in_the_test()
    {
        using var pki = TestPki.Create();
        await using var server = await NatsServerProcess.StartNewAsync("--tls", "--tlscert", pki.ServerCertFile, "--tlskey", pki.ServerKeyFile);

        // Trusting the test CA: connects, and every message goes over TLS.
        var events = new EventLog();
        await using var trusted = new NatsTransport(TestTimes.Options(server.Url) with { TlsCaFile = pki.CaFile, OnEvent = events.Sink });
        await trusted.ConnectAsync();
        Assert.Contains(", TLS", (await events.WaitForAsync(NatsEventKind.Connected)).Message);
        await AssertRoundTripAsync(trusted);

        // Without the CA the server's certificate is not trusted.
        await using var untrusted = new NatsTransport(TestTimes.Options(server.Url));
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await untrusted.ConnectAsync());
        Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
        Assert.Contains("TLS", e.Message);

        // A CA that did not sign the server's certificate is refused too.
        using var other = TestPki.Create();
        await using var wrongCa = new NatsTransport(TestTimes.Options(server.Url) with { TlsCaFile = other.CaFile });
        var e2 = await Assert.ThrowsAsync<MaculaTransportException>(async () => await wrongCa.ConnectAsync());
        Assert.Equal(TransportErrorKind.ConnectionRefused, e2.Kind);
    }

    [Fact]
    public async Task Requiring_tls_from_a_server_without_it_is_refused()
    {
        await using var server = await NatsServerProcess.StartNewAsync();
        await using var transport = new NatsTransport(TestTimes.Options($"tls://127.0.0.1:{server.Port}"));
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.ConnectAsync());
        Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
        Assert.Contains("does not support TLS", e.Message);
        Assert.Contains($"127.0.0.1:{server.Port}", e.Message);
    }

    private static async Task AssertRoundTripAsync(NatsTransport transport)
    {
        IMaculaTransport t = transport;
        await using var sub = await t.SubscribeAsync("secure.echo", async m => await t.PublishAsync(m.ReplyTo!, m.Payload));
        var reply = await t.RequestAsync("secure.echo", "ping"u8.ToArray(), new MaculaHeaders { { "H", "v" } }, TimeSpan.FromSeconds(10));
        Assert.Equal("ping", Encoding.UTF8.GetString(reply.Payload.Span));
    }
}
