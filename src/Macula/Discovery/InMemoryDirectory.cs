using System.Collections.Concurrent;

namespace Macula.Discovery;

/// <summary>
/// The interim directory of an <see cref="InMemoryNetwork"/>: one shared table, records merged by node id and
/// expiring on their TTL. Kept as the simplest registry for in-process meshes.
/// </summary>
internal sealed class InMemoryDirectory : IServiceRegistry
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ProviderRecord>> _services = new(StringComparer.Ordinal);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ValueTask AdvertiseAsync(string service, ProviderRecord record, CancellationToken cancellationToken)
    {
        _services.GetOrAdd(service, static _ => new(StringComparer.Ordinal))[record.NodeId] = record;
        return ValueTask.CompletedTask;
    }

    public ValueTask WithdrawAsync(string service, string nodeId, CancellationToken cancellationToken)
    {
        if (_services.TryGetValue(service, out var providers))
        {
            providers.TryRemove(nodeId, out _);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<ProviderRecord>> LookupAsync(string service, CancellationToken cancellationToken)
    {
        if (!_services.TryGetValue(service, out var providers))
        {
            return ValueTask.FromResult<IReadOnlyList<ProviderRecord>>([]);
        }

        var now = Time.GetUtcNow();
        var live = new List<ProviderRecord>(providers.Count);
        foreach (var (nodeId, record) in providers)
        {
            if (record.IsExpired(now))
            {
                providers.TryRemove(new(nodeId, record));
            }
            else
            {
                live.Add(record);
            }
        }

        live.Sort(static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
        return ValueTask.FromResult<IReadOnlyList<ProviderRecord>>(live);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
