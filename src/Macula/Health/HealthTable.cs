using System.Collections.Concurrent;

namespace Macula.Health;

/// <summary>Health of every provider this node has called, keyed by service and node id.</summary>
internal sealed class HealthTable(CircuitBreakerOptions breaker, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Service, string NodeId), ProviderHealth> _table = new();

    public ProviderHealth Get(string service, string nodeId) =>
        _table.GetOrAdd((service, nodeId), static (key, self) => new ProviderHealth(key.Service, key.NodeId, self.breaker, self.time), (breaker, time));

    public IReadOnlyList<ProviderHealthSnapshot> Snapshot()
    {
        var list = new List<ProviderHealthSnapshot>(_table.Count);
        foreach (var health in _table.Values)
        {
            list.Add(health.Snapshot());
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Service + "/" + a.NodeId, b.Service + "/" + b.NodeId));
        return list;
    }
}
