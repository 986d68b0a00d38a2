using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
        using var client = Build("nats-client", realm, s => s.AddMacula(o => o.UseNats(_url)).AddMaculaClient<IGreeter>(c => c.Strategy = SelectionStrategy.First));
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
            ["Macula:Servers:0"] = _url,
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

    private static IHost Build(string name, string realm, Action<IServiceCollection> services)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Macula:Realm"] = realm });
        services(builder.Services);
        return builder.Build();
    }
}
