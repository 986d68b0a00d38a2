using Microsoft.Extensions.DependencyInjection;

namespace Macula.Dashboard;

/// <summary>
/// Asks the mesh for stats at most once a second however many pages poll, and hands every caller the same JSON:
/// a dashboard left open in ten tabs costs the mesh one request a second, not ten.
/// </summary>
internal sealed class StatsPoller
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private readonly IServiceProvider _services;
    private readonly object _gate = new();
    private Task<byte[]>? _current;
    private DateTimeOffset _startedAt;
    private int _lastCount;

    public StatsPoller(IServiceProvider services) => _services = services;

    /// <summary>
    /// How long nodes get to answer at most; a poll ends 100 ms after as many nodes answered as the last time, so a
    /// healthy mesh answers in milliseconds and a busy or shrinking one in at most this. The figures cover the last 10 s.
    /// </summary>
    public TimeSpan Gather { get; init; } = TimeSpan.FromSeconds(2);


    public Task<byte[]> GetAsync(CancellationToken cancellationToken)
    {
        Task<byte[]> current;
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            if (_current is null || _current.IsFaulted || now - _startedAt >= MaxAge)
            {
                _startedAt = now;
                _current = CollectAsync();
            }

            current = _current;
        }

        return current.WaitAsync(cancellationToken);
    }

    private async Task<byte[]> CollectAsync()
    {
        var node = await ResolveAsync().ConfigureAwait(false);
        var stats = await node.GatherMeshStatsAsync(TimeSpan.FromSeconds(10), Gather, Volatile.Read(ref _lastCount) is > 0 and var n ? n : null, CancellationToken.None).ConfigureAwait(false);
        Volatile.Write(ref _lastCount, stats.Nodes.Count);
        return DashboardJson.Write(stats, node.NodeId);
    }

    private async Task<MaculaNode> ResolveAsync()
    {
        if (_services.GetService<MaculaNode>() is { } node)
        {
            return node;
        }

        if (_services.GetService<Task<MaculaNode>>() is { } starting)
        {
            return await starting.ConfigureAwait(false);
        }

        throw new InvalidOperationException("MapMaculaDashboard needs a MaculaNode in the app's services: call services.AddMacula(...) (Macula.Hosting), or register the node.");
    }
}
