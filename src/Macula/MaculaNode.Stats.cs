using Macula.Monitoring;

namespace Macula;

// Stats from the mesh (docs/dashboard.md): the recorder ProviderHost feeds, the stats and $SRV responders, and the
// public read. The responders get a NodeStatsSource of narrow pieces, never the node.
public sealed partial class MaculaNode
{
    private MeshStatsResponder? _statsResponder;
    private ServiceApiResponder? _serviceApi;

    /// <summary>Every call this node's providers dispatch is recorded here (and in <c>macula.rpc.server.duration</c>).</summary>
    internal ServerStats ServerStats { get; }

    /// <summary>
    /// Asks every node of the realm for its stats and gathers the answers that arrive within <paramref name="gather"/>
    /// (default 500 ms): per node its services' calls, errors and p50/p99 over the last <paramref name="window"/>
    /// (1 to 60 s, default 10 s), its client-side view of the providers it calls, its DHT figures; and per service the
    /// same figures summed over its providers.
    /// </summary>
    public Task<MaculaMeshStats> GetMeshStatsAsync(TimeSpan? window = null, TimeSpan? gather = null, CancellationToken cancellationToken = default) =>
        GatherMeshStatsAsync(window, gather, null, cancellationToken);

    /// <summary>As the public overload; stops soon after <paramref name="expectedNodes"/> have answered (the dashboard's poller).</summary>
    internal Task<MaculaMeshStats> GatherMeshStatsAsync(TimeSpan? window, TimeSpan? gather, int? expectedNodes, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var w = window ?? TimeSpan.FromSeconds(MeshStatsResponder.DefaultWindowSeconds);
        if (w <= TimeSpan.Zero || w > TimeSpan.FromSeconds(MethodStatsWindow.Seconds))
        {
            throw new ArgumentOutOfRangeException(nameof(window), w, $"The stats window must be more than 0 and at most {MethodStatsWindow.Seconds} s.");
        }

        var g = gather ?? TimeSpan.FromMilliseconds(500);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(g, TimeSpan.Zero, nameof(gather));
        return MeshStatsResponder.GatherAsync(Transport, Realm, SerializerOptions, Time, w, g, _events.BadMessage, cancellationToken, expectedNodes);
    }

    private async Task StartStatsAsync(CancellationToken cancellationToken)
    {
        var source = new NodeStatsSource(NodeId, Realm, Options.Metadata, StartedAt, Time, ServerStats, ProvidedServiceList, GetProviderHealth, GetDhtStats) { NodeZone = Options.Zone };
        _statsResponder = await MeshStatsResponder.StartAsync(Transport, source, _events.BackgroundError, cancellationToken).ConfigureAwait(false);
        if (Options.EnableNatsServiceApi)
        {
            _serviceApi = await ServiceApiResponder.StartAsync(Transport, source, _events.BackgroundError, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask StopStatsAsync()
    {
        if (_serviceApi is not null)
        {
            await _serviceApi.DisposeAsync().ConfigureAwait(false);
        }

        if (_statsResponder is not null)
        {
            await _statsResponder.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IReadOnlyList<ProvidedService> ProvidedServiceList()
    {
        var list = new List<ProvidedService>();
        foreach (var host in _providers.Keys)
        {
            list.Add(new ProvidedService(host.ServiceName, host.Subject, host.Methods));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }
}
