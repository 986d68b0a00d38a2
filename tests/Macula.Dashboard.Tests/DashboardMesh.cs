using Macula.Transport.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Macula.Dashboard.Tests;

[MaculaService("demo.Inventory")]
public interface IInventory
{
    Task<int> CountAsync(string sku, CancellationToken cancellationToken = default);
}

public sealed class Inventory : IInventory
{
    public async Task<int> CountAsync(string sku, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        return sku.Length;
    }
}

/// <summary>
/// An in-memory mesh of three providers of demo.Inventory and one client calling it in a loop, with the dashboard
/// served from the client's node on a free loopback port. Everything stops on dispose.
/// </summary>
public sealed class DashboardMesh : IAsyncLifetime
{
    public static readonly string[] ProviderIds = ["inventory-east-1", "inventory-west-1", "inventory-west-2"];
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _calling;
    private WebApplication? _app;

    public MaculaNode Client { get; private set; } = null!;

    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var network = new InMemoryNetwork();
        foreach (string id in ProviderIds)
        {
            var node = await MaculaNode.StartAsync(new MaculaNodeOptions
            {
                Transport = network.CreateTransport(),
                NodeId = id,
                Realm = "shop",
                Metadata = new Dictionary<string, string> { ["version"] = "1.3.0", ["zone"] = id.Contains("east", StringComparison.Ordinal) ? "eu-east" : "eu-west" },
            });
            _owned.Add(node);
            _owned.Add(await node.ProvideAsync<IInventory>(new Inventory()));
        }

        Client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport(), NodeId = "storefront", Realm = "shop", Metadata = new Dictionary<string, string> { ["role"] = "client" } });
        _owned.Add(Client);
        var inventory = Client.CreateClient<IInventory>(new ClientOptions { Strategy = SelectionStrategy.RoundRobin });
        _calling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                await inventory.CountAsync("sku-42");
                await Task.Delay(5);
            }
        });

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        int port = TestPorts.Next();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddSingleton(Client);
        _app = builder.Build();
        _app.MapMaculaDashboard();
        await _app.StartAsync();
        Url = $"http://127.0.0.1:{port}/macula/";

        // Wait until the client has called every provider, so the figures are there when the page loads.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (Client.GetProviderHealth().Count < ProviderIds.Length)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        if (_calling is not null)
        {
            try
            {
                await _calling;
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // A call in flight when the nodes stopped.
            }
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _stop.Dispose();
    }
}
