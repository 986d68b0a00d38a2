using Macula.Hosting;
using Macula.Transport.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Macula.Hosting.Tests;

[MaculaService]
public interface IFragile
{
    Task<int> BreakAsync(string secret, CancellationToken cancellationToken = default);
}

public sealed class Fragile : IFragile
{
    public Task<int> BreakAsync(string secret, CancellationToken cancellationToken = default) => throw new InvalidOperationException("leaked " + secret);
}

/// <summary>Identity, trust and error-detail settings of a hosted node, from configuration.</summary>
public sealed class SecurityHostingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("macula-hosting-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IHost BuildHost(InMemoryNetwork network, string environment, Action<IServiceCollection> services, Dictionary<string, string?>? config = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "sec", EnvironmentName = environment, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(config ?? []);
        builder.Services.AddMacula(o => o.UseInMemory(network));
        services(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task A_configured_identity_file_is_created_once_and_the_node_id_is_derived_from_it()
    {
        string path = Path.Combine(_directory, "node.nk");
        var config = new Dictionary<string, string?> { ["Macula:IdentityFile"] = path };
        var network = new InMemoryNetwork();

        string first;
        using (var host = BuildHost(network, "Production", _ => { }, config))
        {
            await host.StartAsync();
            first = (await host.Services.GetRequiredService<Task<MaculaNode>>()).NodeId;
            await host.StopAsync();
        }

        using var again = BuildHost(network, "Production", _ => { }, config);
        await again.StartAsync();
        string second = (await again.Services.GetRequiredService<Task<MaculaNode>>()).NodeId;
        await again.StopAsync();

        using var identity = NodeIdentity.Load(path);
        Assert.Equal(identity.DefaultNodeId, first);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task An_enforced_realm_from_configuration_lets_a_trusted_provider_serve_and_refuses_an_untrusted_one()
    {
        using var trusted = NodeIdentity.Create();
        using var stranger = NodeIdentity.Create();
        var network = new InMemoryNetwork();
        var trust = new Dictionary<string, string?> { ["Macula:Trust:Mode"] = "Enforced", ["Macula:Trust:TrustedNodeKeys:0"] = trusted.PublicKey };
        using var good = BuildHost(network, "Production", s => s.AddMaculaProvider<IFragile, Fragile>(), new(trust) { ["Macula:IdentitySeed"] = trusted.GetSeed() });
        using var bad = BuildHost(network, "Production", s => s.AddMaculaProvider<IFragile, Fragile>(), new(trust) { ["Macula:IdentitySeed"] = stranger.GetSeed() });
        using var client = BuildHost(network, "Production", s => s.AddMaculaClient<IFragile>(), trust);
        await good.StartAsync();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.StartAsync());
        await client.StartAsync();

        var node = await client.Services.GetRequiredService<Task<MaculaNode>>();
        var providers = await node.FindProvidersAsync("Fragile");

        Assert.Contains("is not trusted", refused.Message, StringComparison.Ordinal);
        Assert.Equal([trusted.DefaultNodeId], providers.Select(p => p.NodeId));
        Assert.Equal(trusted.PublicKey, providers[0].PublicKey);
        await client.StopAsync();
        await good.StopAsync();
    }

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", null, false)]
    [InlineData("Production", "true", true)]
    [InlineData("Development", "false", false)]
    public async Task Error_details_go_back_in_development_or_when_configured(string environment, string? configured, bool expected)
    {
        var network = new InMemoryNetwork();
        var config = new Dictionary<string, string?>();
        if (configured is not null)
        {
            config["Macula:IncludeErrorDetails"] = configured;
        }

        using var provider = BuildHost(network, environment, s => s.AddMaculaProvider<IFragile, Fragile>(), config);
        using var client = BuildHost(network, "Production", s => s.AddMaculaClient<IFragile>());
        await provider.StartAsync();
        await client.StartAsync();

        var ex = await Assert.ThrowsAsync<MaculaRemoteException>(() => client.Services.GetRequiredService<IFragile>().BreakAsync("pw"));

        Assert.Equal(expected ? "System.InvalidOperationException" : "", ex.RemoteType);
        Assert.Equal(expected, ex.RemoteMessage.Contains("leaked pw", StringComparison.Ordinal));
        await client.StopAsync();
        await provider.StopAsync();
    }
}
