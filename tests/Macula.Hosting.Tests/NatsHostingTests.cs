using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Macula.Hosting.Tests;

/// <summary>The README's hosting code over a real nats-server: UseNats, a provider host and a client host.</summary>
public sealed class NatsHostingTests : IAsyncLifetime
{
    private Process? _server;
    private string _url = "";

    public async Task InitializeAsync()
    {
        int port = Macula.Testing.TestPorts.Next();
        string exe = File.Exists("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server";
        _server = Process.Start(new ProcessStartInfo(exe, $"-a 127.0.0.1 -p {port}") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("nats-server did not start; run ./test.sh to install it");
        _url = $"nats://127.0.0.1:{port}";
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"nats-server did not listen on {port}");
    }

    public Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(5000);
        }

        _server?.Dispose();
        return Task.CompletedTask;
    }

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
