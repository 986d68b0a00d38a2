using Macula.Nats;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.Hosting;
using NATS.NKeys;

namespace Macula.Hosting.Tests;

/// <summary>The README's hosting code over a real nats-server: UseNats, a provider host and a client host.</summary>
public sealed class NatsHostingTests : IAsyncLifetime
{
    private NatsServerProcess _server = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _server = await NatsServerProcess.StartNewAsync();
        _url = _server.Url;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Provider_and_client_hosts_talk_over_nats_with_options_from_configuration()
    {
        string realm = "hosted" + Guid.NewGuid().ToString("N")[..6];
        using var provider = Build("nats-provider", realm, s => s.AddMacula(o => o.UseNats(_url)).AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>());
        using var client = Build("nats-client", realm, s => s.AddMacula(o => o.UseNats(_url)).AddMaculaClient<IGreeter>(c => c with { Strategy = SelectionStrategy.First }));
        await provider.StartAsync();
        await client.StartAsync();

        Assert.StartsWith("Hello nats from nats-provider", await client.Services.GetRequiredService<IGreeter>().GreetAsync("nats"));

        await client.StopAsync();
        await provider.StopAsync();
    }

    [Fact]
    public async Task Servers_and_credentials_bind_from_configuration()
    {
        string realm = "bound" + Guid.NewGuid().ToString("N")[..6];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "cfg", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Macula:Realm"] = realm,
            ["Macula:Nats:Servers:0"] = _url,
            ["Macula:NodeId"] = "from-config",
        });
        builder.Services.AddMacula().AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>();
        using var host = builder.Build();
        await host.StartAsync();

        var node = await host.Services.GetRequiredService<Task<MaculaNode>>();
        Assert.Equal("from-config", node.NodeId);
        Assert.Equal(realm, node.Realm);
        Assert.Equal("from-config", Assert.Single(await node.FindProvidersAsync("Greeter")).NodeId);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_connection_registered_with_AddNats_carries_macula_and_is_left_open_when_the_host_stops()
    {
        string realm = "shared" + Guid.NewGuid().ToString("N")[..6];
        using var provider = Build("shared-provider", realm, s => s
            .AddNats(configureOpts: o => o with { Url = _url, Name = "the-app" })
            .AddMacula()
            .AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>());
        using var client = Build("own-client", realm, s => s.AddMacula(o => o.UseNats(_url)).AddMaculaClient<IGreeter>());
        await provider.StartAsync();
        await client.StartAsync();

        var app = provider.Services.GetRequiredService<INatsConnection>();
        var node = await provider.Services.GetRequiredService<Task<MaculaNode>>();
        Assert.Same(app, Assert.IsType<NatsTransport>(node.Transport).Connection);
        Assert.StartsWith("Hello shared from shared-provider", await client.Services.GetRequiredService<IGreeter>().GreetAsync("shared"));

        // The app's own traffic on the same connection.
        var appSub = await app.SubscribeCoreAsync<string>("app.own");
        await app.PublishAsync("app.own", "mine");
        Assert.Equal("mine", (await appSub.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15))).Data);
        await appSub.DisposeAsync();

        await client.StopAsync();
        await provider.StopAsync();
        Assert.Equal(NatsConnectionState.Open, app.ConnectionState);
        await app.PingAsync();
    }

    [Fact]
    public async Task Every_nats_setting_binds_from_the_Macula_Nats_section_and_an_nkey_user_connects_with_it()
    {
        using var pair = KeyPair.CreatePair(PrefixByte.User);
        string dir = Directory.CreateTempSubdirectory("macula-hosting-nkey-").FullName;
        try
        {
            string config = Path.Combine(dir, "server.conf");
            File.WriteAllText(config, $"authorization {{ users = [ {{ nkey: \"{pair.GetPublicKey()}\" }} ] }}");
            string seed = Path.Combine(dir, "user.nk");
            File.WriteAllText(seed, pair.GetSeed());
            await using var secured = await NatsServerProcess.StartNewAsync("-c", config);

            string realm = "nkey" + Guid.NewGuid().ToString("N")[..6];
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "nkey", DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Macula:Realm"] = realm,
                ["Macula:Nats:Servers:0"] = secured.Url,
                ["Macula:Nats:NKeySeedFile"] = seed,
                ["Macula:Nats:Name"] = "bound-name",
                ["Macula:Nats:TlsRequired"] = "false",
                ["Macula:Nats:ConnectTimeout"] = "00:00:04",
                ["Macula:Nats:DisconnectedWait"] = "00:00:06",
                ["Macula:Nats:Coalescing"] = "true",
            });
            var logs = new CapturedLogs();
            builder.Logging.AddProvider(logs);
            builder.Services.AddMacula().AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>();
            using var host = builder.Build();
            await host.StartAsync();
            var node = await host.Services.GetRequiredService<Task<MaculaNode>>();
            Assert.Single(await node.FindProvidersAsync("Greeter"));
            var transport = Assert.IsType<NatsTransport>(node.Transport);
            Assert.Equal("bound-name", transport.Options!.Name);
            Assert.Equal(TimeSpan.FromSeconds(6), transport.Options.DisconnectedWait);
            Assert.True(transport.Options.Coalescing);

            // NATS connection events reach the host's log under Macula's event ids.
            await TestWait.UntilAsync(() => logs.Has(1500), "the Connected event (1500) was logged");
            await host.StopAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        var bound = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Macula:Nats:Servers:0"] = "tls://a:4222",
            ["Macula:Nats:Servers:1"] = "wss://b:443",
            ["Macula:Nats:User"] = "u",
            ["Macula:Nats:Password"] = "p",
            ["Macula:Nats:Token"] = "t",
            ["Macula:Nats:CredsFile"] = "/c.creds",
            ["Macula:Nats:NKeySeedFile"] = "/u.nk",
            ["Macula:Nats:TlsCaFile"] = "/ca.pem",
            ["Macula:Nats:TlsCertFile"] = "/cert.pem",
            ["Macula:Nats:TlsKeyFile"] = "/key.pem",
            ["Macula:Nats:TlsRequired"] = "true",
            ["Macula:Nats:TlsFirst"] = "true",
            ["Macula:Nats:OwnConnection"] = "true",
        }).Build();
        // Binding only: these values together would not pass the start-up validation (four ways to authenticate).
        var nats = bound.GetSection(MaculaOptions.SectionName).Get<MaculaOptions>()!.Nats;
        Assert.Equal(["tls://a:4222", "wss://b:443"], nats.Servers);
        Assert.Equal(("u", "p", "t", "/c.creds", "/u.nk"), (nats.User, nats.Password, nats.Token, nats.CredsFile, nats.NKeySeedFile));
        Assert.Equal(("/ca.pem", "/cert.pem", "/key.pem"), (nats.TlsCaFile, nats.TlsCertFile, nats.TlsKeyFile));
        Assert.True(nats.TlsRequired && nats.TlsFirst && nats.OwnConnection);
    }

    [Fact]
    public async Task A_wrong_nats_setting_stops_the_host_with_a_message_naming_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "bad", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Macula:Nats:Servers:0"] = _url,
            ["Macula:Nats:CredsFile"] = "/nonexistent/app.creds",
        });
        builder.Services.AddMacula();
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Macula:Nats:CredsFile", e.Message);
    }

    private sealed class CapturedLogs : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<int> _ids = [];

        public bool Has(int id) => _ids.Contains(id);

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => _ids.Add(eventId.Id);
    }

    private static class TestWait
    {
        public static async Task UntilAsync(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("Timed out waiting until " + what + ".");
                }

                await Task.Delay(20);
            }
        }
    }

    private static IHost Build(string name, string realm, Action<IServiceCollection> services)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Macula:Realm"] = realm });
        services(builder.Services);
        return builder.Build();
    }
}
