using Macula.Nats.Internal;

namespace Macula.Nats.Tests.Unit;

public sealed class OptionsTests
{
    [Fact]
    public void Default_is_valid()
    {
        NatsOptions.Default.Validate();
        Assert.Equal(["nats://127.0.0.1:4222"], NatsOptions.Default.Servers);
        Assert.Equal(-1, NatsOptions.Default.MaxReconnectAttempts);
    }

    public static TheoryData<NatsOptions, string> BadOptions() => new()
    {
        { NatsOptions.Default with { Servers = [] }, "Servers" },
        { NatsOptions.Default with { Servers = ["nats://127.0.0.1:4222", "http://example:80"] }, "Servers[1]" },
        { NatsOptions.Default with { Servers = ["nats://127.0.0.1:4222/path"] }, "Servers[0]" },
        { NatsOptions.Default with { Password = "x" }, "Password" },
        { NatsOptions.Default with { User = "u", Token = "t" }, "Token" },
        { NatsOptions.Default with { ConnectTimeout = TimeSpan.Zero }, "ConnectTimeout" },
        { NatsOptions.Default with { PingInterval = TimeSpan.FromSeconds(-1) }, "PingInterval" },
        { NatsOptions.Default with { MaxPingsOut = 0 }, "MaxPingsOut" },
        { NatsOptions.Default with { ReconnectWait = TimeSpan.FromSeconds(2), ReconnectWaitMax = TimeSpan.FromSeconds(1) }, "ReconnectWaitMax" },
        { NatsOptions.Default with { MaxReconnectAttempts = -2 }, "MaxReconnectAttempts" },
        { NatsOptions.Default with { ReconnectBufferSize = -1 }, "ReconnectBufferSize" },
        { NatsOptions.Default with { RequestTimeout = TimeSpan.Zero }, "RequestTimeout" },
        { NatsOptions.Default with { TlsCaFile = "/nonexistent/ca.pem" }, "TlsCaFile" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_is_refused_with_a_message_naming_it(NatsOptions options, string name)
    {
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("NatsOptions." + name, e.Message);
        Assert.Throws<ArgumentException>(() => new NatsTransport(options));
    }

    [Theory]
    [InlineData("nats://127.0.0.1:4222", "127.0.0.1", 4222, false, null, null, null)]
    [InlineData("127.0.0.1:5000", "127.0.0.1", 5000, false, null, null, null)]
    [InlineData("tls://nats.example.com", "nats.example.com", 4222, true, null, null, null)]
    [InlineData("nats://joe:p%40ss@host:1", "host", 1, false, "joe", "p@ss", null)]
    [InlineData("nats://s3cr3t@host:2", "host", 2, false, null, null, "s3cr3t")]
    [InlineData("nats://[::1]:4222", "::1", 4222, false, null, null, null)]
    public void Parses_server_urls(string url, string host, int port, bool tls, string? user, string? password, string? token)
    {
        Assert.True(NatsServerAddress.TryParse(url, false, out var address, out string error), error);
        Assert.Equal(host, address!.Host);
        Assert.Equal(port, address.Port);
        Assert.Equal(tls, address.Tls);
        Assert.Equal(user, address.User);
        Assert.Equal(password, address.Password);
        Assert.Equal(token, address.Token);
        Assert.DoesNotContain("@", address.Url);
    }

    [Fact]
    public async Task Reconnect_backoff_doubles_up_to_the_maximum_with_jitter_down_to_half()
    {
        var options = NatsOptions.Default with { ReconnectWait = TimeSpan.FromMilliseconds(100), ReconnectWaitMax = TimeSpan.FromMilliseconds(1000) };
        await using var connection = new NatsConnection(options);
        for (int i = 0; i < 50; i++)
        {
            double first = connection.Backoff(0).TotalMilliseconds;
            double third = connection.Backoff(2).TotalMilliseconds;
            double late = connection.Backoff(20).TotalMilliseconds;
            Assert.InRange(first, 50, 100);
            Assert.InRange(third, 200, 400);
            Assert.InRange(late, 500, 1000);
        }
    }
}
