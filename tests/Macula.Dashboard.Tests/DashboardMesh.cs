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

    private int _failedCalls;
    private int _answeredCalls;

    public MaculaNode Client { get; private set; } = null!;

    /// <summary>How many of the background loop's calls failed, and the last failure: said when a rate assertion fails.</summary>
    public string CallFailures => $"{Volatile.Read(ref _failedCalls)} failed calls, last: {LastCallError ?? "none"}";

    private string? LastCallError { get; set; }

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
            // A call that fails on a machine busy with other suites (a deadline, a late discovery) must not end the
            // loop: the stats window is 10 s, and a loop that stopped once would leave the service at 0 calls/s.
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await inventory.CountAsync("sku-42");
                    Interlocked.Increment(ref _answeredCalls);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _failedCalls);
                    LastCallError = e.GetType().Name + ": " + e.Message;
                }

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

        // Wait until every provider has answered twice (round robin), so the figures are there when the page loads. A
        // health entry alone is not enough: the client makes it when it picks a provider, before the reply.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (Client.GetProviderHealth().Count < ProviderIds.Length || Volatile.Read(ref _answeredCalls) < 2 * ProviderIds.Length)
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
