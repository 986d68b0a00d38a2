using Macula.Hosting;
using Macula.Transport.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Macula.Hosting.Tests;

/// <summary>Provider version, zone and tags from the <c>Macula</c> configuration section and from code.</summary>
public sealed class RoutingHostingTests
{
    private static IHost BuildHost(InMemoryNetwork network, string name, Action<IServiceCollection> services, Dictionary<string, string?>? config = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(config ?? []);
        builder.Services.AddMacula(o => o.UseInMemory(network));
        services(builder.Services);
        return builder.Build();
    }

    private static async Task<ProviderRecord> AdvertisedAsync(IHost host)
    {
        var node = await host.Services.GetRequiredService<Task<MaculaNode>>();
        return Assert.Single(await node.FindProvidersAsync("Greeter"));
    }

    [Fact]
    public async Task Version_zone_and_tags_come_from_the_Macula_section()
    {
        var network = new InMemoryNetwork();
        using var provider = BuildHost(network, "provider", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>(), new()
        {
            ["Macula:Zone"] = "eu-west",
            ["Macula:Providers:Greeter:Version"] = "2.1.0",
            ["Macula:Providers:Greeter:Tags:tier"] = "gold",
        });
        await provider.StartAsync();

        var record = await AdvertisedAsync(provider);

        Assert.Equal("2.1.0", record.Version);
        Assert.Equal("eu-west", record.Zone);
        Assert.Equal("gold", record.Tags["tier"]);
        Assert.Equal("eu-west", (await provider.Services.GetRequiredService<Task<MaculaNode>>()).Options.Zone);
        await provider.StopAsync();
    }

    [Fact]
    public async Task The_AddMaculaProvider_callback_changes_what_the_configuration_says()
    {
        var network = new InMemoryNetwork();
        using var provider = BuildHost(network, "provider", s => s.AddMaculaProvider<IGreeter, Greeter>(p => p with { Version = "3.0.0", Zone = "us-east" }).AddScoped<CallScopeProbe>(), new()
        {
            ["Macula:Providers:Greeter:Version"] = "2.1.0",
        });
        await provider.StartAsync();

        var record = await AdvertisedAsync(provider);

        Assert.Equal("3.0.0", record.Version);
        Assert.Equal("us-east", record.Zone);
        await provider.StopAsync();
    }

    [Fact]
    public async Task A_client_host_routes_by_version_range()
    {
        var network = new InMemoryNetwork();
        using var old = BuildHost(network, "old", s => s.AddMaculaProvider<IGreeter, Greeter>(p => p with { Version = "1.0.0" }).AddScoped<CallScopeProbe>());
        using var current = BuildHost(network, "current", s => s.AddMaculaProvider<IGreeter, Greeter>(p => p with { Version = "2.4.0" }).AddScoped<CallScopeProbe>());
        using var client = BuildHost(network, "client", s => s.AddMaculaClient<IGreeter>(c => c with { VersionRange = "^2.0", Strategy = SelectionStrategy.RoundRobin }));
        await old.StartAsync();
        await current.StartAsync();
        await client.StartAsync();
        var greeter = client.Services.GetRequiredService<IGreeter>();

        for (int i = 0; i < 6; i++)
        {
            Assert.StartsWith("Hello x from current", await greeter.GreetAsync("x"));
        }

        await client.StopAsync();
        await current.StopAsync();
        await old.StopAsync();
    }

    [Theory]
    [InlineData("Macula:Providers:Greeter:Version", "2.1", "Macula:Providers:Greeter:Version '2.1' is not a semantic version")]
    [InlineData("Macula:Providers:Greeter:Zone", "eu west", "Macula:Providers:Greeter:Zone 'eu west'")]
    [InlineData("Macula:Zone", "eu/west", "Macula:Zone 'eu/west'")]
    public async Task A_bad_routing_setting_stops_the_start_naming_the_key(string key, string value, string message)
    {
        using var host = BuildHost(new InMemoryNetwork(), "bad", s => s.AddMaculaProvider<IGreeter, Greeter>().AddScoped<CallScopeProbe>(), new() { [key] = value });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(message, ex.Message);
    }
}
