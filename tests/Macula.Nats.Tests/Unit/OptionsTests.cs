using NATS.Client.Core;

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
        { NatsOptions.Default with { Token = "t", CredsFile = typeof(OptionsTests).Assembly.Location }, "CredsFile" },
        { NatsOptions.Default with { ConnectTimeout = TimeSpan.Zero }, "ConnectTimeout" },
        { NatsOptions.Default with { PingInterval = TimeSpan.FromSeconds(-1) }, "PingInterval" },
        { NatsOptions.Default with { MaxPingsOut = 0 }, "MaxPingsOut" },
        { NatsOptions.Default with { ReconnectWait = TimeSpan.FromSeconds(2), ReconnectWaitMax = TimeSpan.FromSeconds(1) }, "ReconnectWaitMax" },
        { NatsOptions.Default with { MaxReconnectAttempts = -2 }, "MaxReconnectAttempts" },
        { NatsOptions.Default with { DisconnectedWait = TimeSpan.Zero }, "DisconnectedWait" },
        { NatsOptions.Default with { RequestTimeout = TimeSpan.Zero }, "RequestTimeout" },
        { NatsOptions.Default with { TlsCaFile = "/nonexistent/ca.pem" }, "TlsCaFile" },
        { NatsOptions.Default with { CredsFile = "/nonexistent/user.creds" }, "CredsFile" },
        { NatsOptions.Default with { NKeySeedFile = "/nonexistent/user.nk" }, "NKeySeedFile" },
        { NatsOptions.Default with { TlsCertFile = typeof(OptionsTests).Assembly.Location }, "TlsKeyFile" },
        { NatsOptions.Default with { NKeySeedFile = typeof(OptionsTests).Assembly.Location }, "NKeySeedFile" },
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
    [InlineData("nats://127.0.0.1:4222")]
    [InlineData("127.0.0.1:5000")]
    [InlineData("tls://nats.example.com")]
    [InlineData("nats://joe:p%40ss@host:1")]
    [InlineData("nats://s3cr3t@host:2")]
    [InlineData("nats://[::1]:4222")]
    [InlineData("ws://127.0.0.1:8080")]
    [InlineData("wss://nats.example.com:443")]
    public void Accepts_every_kind_of_server_url(string url) => (NatsOptions.Default with { Servers = [url] }).Validate();

    [Fact]
    public void Every_setting_reaches_nats_client_cores_options()
    {
        string file = typeof(OptionsTests).Assembly.Location;
        var opts = (NatsOptions.Default with
        {
            Servers = ["nats://a:4222", "wss://b:443"],
            Name = "n",
            CredsFile = file,
            TlsCaFile = file,
            TlsCertFile = file,
            TlsKeyFile = file,
            TlsFirst = true,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            PingInterval = TimeSpan.FromSeconds(7),
            MaxPingsOut = 4,
            ReconnectWait = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
            MaxReconnectAttempts = 9,
            DisconnectedWait = TimeSpan.FromSeconds(8),
            RequestTimeout = TimeSpan.FromSeconds(11),
            ConfigureNatsOpts = o => o with { SubPendingChannelCapacity = 77 },
        }).ToNatsOpts();

        Assert.Equal("nats://a:4222,wss://b:443", opts.Url);
        Assert.Equal("n", opts.Name);
        Assert.Equal(file, opts.AuthOpts.CredsFile);
        Assert.Equal((file, file, file), (opts.TlsOpts.CaFile, opts.TlsOpts.CertFile, opts.TlsOpts.KeyFile));
        Assert.Equal(TlsMode.Implicit, opts.TlsOpts.Mode);
        Assert.Equal(TimeSpan.FromSeconds(3), opts.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), opts.PingInterval);
        Assert.Equal(4, opts.MaxPingOut);
        Assert.Equal(TimeSpan.FromMilliseconds(100), opts.ReconnectWaitMin);
        Assert.Equal(TimeSpan.FromSeconds(2), opts.ReconnectWaitMax);
        Assert.Equal(9, opts.MaxReconnectRetry);
        Assert.Equal(TimeSpan.FromSeconds(8), opts.CommandTimeout);
        Assert.True(opts.PublishTimeoutOnDisconnected);
        Assert.Equal(TimeSpan.FromSeconds(11), opts.RequestTimeout);
        Assert.Equal(77, opts.SubPendingChannelCapacity);

        var (publicKey, seed) = NatsAuth.NewUserNKey();
        string seedFile = Path.GetTempFileName();
        File.WriteAllText(seedFile, seed + "\n");
        var nkey = (NatsOptions.Default with { NKeySeedFile = seedFile, TlsRequired = true }).ToNatsOpts();
        File.Delete(seedFile);
        Assert.Equal((seed, publicKey), (nkey.AuthOpts.Seed, nkey.AuthOpts.NKey));
        Assert.Equal(TlsMode.Require, nkey.TlsOpts.Mode);
        var basic = (NatsOptions.Default with { User = "u", Password = "p" }).ToNatsOpts();
        Assert.Equal(("u", "p"), (basic.AuthOpts.Username, basic.AuthOpts.Password));
        Assert.Equal("t", (NatsOptions.Default with { Token = "t" }).ToNatsOpts().AuthOpts.Token);
    }
}
