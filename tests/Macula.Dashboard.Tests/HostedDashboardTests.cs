using Macula.Transport.InMemory;
using System.Text.Json;
using Macula.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Macula.Dashboard.Tests;

/// <summary>MapMaculaDashboard in an app whose node comes from AddMacula (Macula.Hosting registers a Task&lt;MaculaNode&gt;).</summary>
public sealed class HostedDashboardTests
{
    [Fact]
    public async Task The_dashboard_finds_the_node_AddMacula_starts_and_shows_its_provider()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        int port = TestPorts.Next();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Macula:NodeId"] = "hosted-1", ["Macula:Realm"] = "hosted", ["Macula:Metadata:version"] = "3.0.0" });
        builder.Services.AddMacula(o => o.UseInMemory(new InMemoryNetwork()));
        builder.Services.AddMaculaProvider<IInventory, Inventory>();
        await using var app = builder.Build();
        app.MapMaculaDashboard("/ops/mesh");
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var json = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/ops/mesh/api/stats")).RootElement;

            var provider = Assert.Single(json.GetProperty("providers").EnumerateArray());
            Assert.Equal(("demo.Inventory", "hosted-1", "3.0.0"), (provider.GetProperty("service").GetString(), provider.GetProperty("node_id").GetString(), provider.GetProperty("version").GetString()));
            Assert.Equal(JsonValueKind.Null, provider.GetProperty("health").ValueKind);
            Assert.Contains("<title>Macula mesh</title>", await http.GetStringAsync($"http://127.0.0.1:{port}/ops/mesh/"));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Macula_EnableNatsServiceApi_false_in_configuration_turns_the_service_api_off()
    {
        var network = new InMemoryNetwork();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{TestPorts.Next()}");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Macula:NodeId"] = "quiet-1", ["Macula:EnableNatsServiceApi"] = "false" });
        builder.Services.AddMacula(o => o.UseInMemory(network));
        builder.Services.AddMaculaProvider<IInventory, Inventory>();
        await using var app = builder.Build();
        await app.StartAsync();
        try
        {
            var node = await app.Services.GetRequiredService<Task<MaculaNode>>();
            Assert.False(node.Options.EnableNatsServiceApi);
            await using var probe = network.CreateTransport();
            await probe.ConnectAsync();
            var ex = await Assert.ThrowsAsync<Macula.Transport.MaculaTransportException>(() => probe.RequestAsync("$SRV.PING", ReadOnlyMemory<byte>.Empty, null, TimeSpan.FromSeconds(1)).AsTask());
            Assert.Equal(Macula.Transport.TransportErrorKind.NoResponders, ex.Kind);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Without_a_node_the_stats_endpoint_answers_503_saying_what_is_missing()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        int port = TestPorts.Next();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = builder.Build();
        app.MapMaculaDashboard();
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var response = await http.GetAsync($"http://127.0.0.1:{port}/macula/api/stats");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("AddMacula", await response.Content.ReadAsStringAsync());
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
