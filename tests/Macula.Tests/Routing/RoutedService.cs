using Macula.Transport.InMemory;

namespace Macula.Tests.Routing;

public sealed class Basket
{
    public List<string> Items { get; set; } = [];

    public string? Owner { get; set; }
}

/// <summary>A generated service (with contract fingerprints) for the routing tests.</summary>
[MaculaService("Routed")]
public interface IRouted
{
    /// <summary>The serving node's id.</summary>
    Task<string> WhoAsync();

    /// <summary>Adds an item to the basket it was given, stamps it, and returns that same object.</summary>
    Task<Basket> FillAsync(Basket basket);
}

public sealed class Routed(string node) : IRouted
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The last basket the handler saw (the object it mutated).</summary>
    public Basket? Seen { get; private set; }

    public Task<string> WhoAsync()
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(node);
    }

    public Task<Basket> FillAsync(Basket basket)
    {
        Interlocked.Increment(ref _calls);
        basket.Items.Add("from " + node);
        basket.Owner = node;
        Seen = basket;
        return Task.FromResult(basket);
    }
}

/// <summary>Nodes on one in-memory network, each providing <see cref="IRouted"/> with its own options.</summary>
public sealed class RoutedMesh : IAsyncDisposable
{
    private readonly List<MaculaNode> _nodes = [];

    public InMemoryNetwork Network { get; } = new();

    public Dictionary<string, (MaculaNode Node, InMemoryTransport Transport, Routed Impl, IAsyncDisposable Registration)> Providers { get; } = [];

    public async Task<MaculaNode> AddProviderAsync(string nodeId, ProviderOptions? options = null, string? nodeZone = null)
    {
        var transport = Network.CreateTransport();
        var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = transport, NodeId = nodeId, Zone = nodeZone });
        _nodes.Add(node);
        var impl = new Routed(nodeId);
        var registration = await node.ProvideAsync<IRouted>(impl, options ?? ProviderOptions.Default);
        Providers[nodeId] = (node, transport, impl, registration);
        return node;
    }

    public async Task<MaculaNode> AddNodeAsync(string nodeId, string? zone = null)
    {
        var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = Network.CreateTransport(), NodeId = nodeId, Zone = zone });
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
