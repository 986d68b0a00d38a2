namespace Macula.Monitoring;

/// <summary>Turns decoded stats replies into the public records: per node as sent, per service summed over its providers.</summary>
internal static class MeshStatsBuilder
{
    public static MaculaNodeStats Node(NodeStatsReport report, TimeSpan roundTrip)
    {
        var services = new List<MaculaServiceStats>(report.Services.Count);
        foreach (var service in report.Services)
        {
            services.Add(Service(service.Name, [report.NodeId], [service.Methods], report.Window));
        }

        return new MaculaNodeStats(
            report.NodeId, report.Realm, report.Version, report.Zone, report.MaculaVersion, report.StartedAt, report.Uptime, report.Window,
            report.Metadata, services, report.Providers, report.Dht, roundTrip);
    }

    public static MaculaMeshStats Mesh(string realm, DateTimeOffset collectedAt, TimeSpan window, IReadOnlyList<(NodeStatsReport Report, TimeSpan RoundTrip)> replies)
    {
        var nodes = new List<MaculaNodeStats>(replies.Count);
        var byService = new SortedDictionary<string, List<(string NodeId, IReadOnlyList<MethodWindowSnapshot> Methods, TimeSpan Window)>>(StringComparer.Ordinal);
        foreach (var (report, rtt) in replies)
        {
            nodes.Add(Node(report, rtt));
            foreach (var service in report.Services)
            {
                if (!byService.TryGetValue(service.Name, out var list))
                {
                    byService[service.Name] = list = [];
                }

                list.Add((report.NodeId, service.Methods, report.Window));
            }
        }

        nodes.Sort(static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
        var services = new List<MaculaServiceStats>(byService.Count);
        foreach (var (name, providers) in byService)
        {
            providers.Sort(static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
            // Rates over the mesh: each provider's calls over its own window, summed (a young provider covers less time).
            var ids = new List<string>(providers.Count);
            var methodLists = new List<IReadOnlyList<MethodWindowSnapshot>>(providers.Count);
            var windows = new List<TimeSpan>(providers.Count);
            foreach (var p in providers)
            {
                ids.Add(p.NodeId);
                methodLists.Add(p.Methods);
                windows.Add(p.Window);
            }

            services.Add(Service(name, ids, methodLists, windows));
        }

        return new MaculaMeshStats(realm, collectedAt, window, nodes, services);
    }

    private static MaculaServiceStats Service(string name, IReadOnlyList<string> nodeIds, IReadOnlyList<IReadOnlyList<MethodWindowSnapshot>> perNode, TimeSpan window) =>
        Service(name, nodeIds, perNode, [window]);

    private static MaculaServiceStats Service(string name, IReadOnlyList<string> nodeIds, IReadOnlyList<IReadOnlyList<MethodWindowSnapshot>> perNode, IReadOnlyList<TimeSpan> windows)
    {
        var serviceLatency = new LatencyHistogram();
        long calls = 0, errors = 0;
        double rate = 0;
        var order = new List<string>();
        var methods = new Dictionary<string, (long Calls, long Errors, double Rate, LatencyHistogram Latency, long TotalCalls, long TotalErrors, long TotalUs)>(StringComparer.Ordinal);
        for (int n = 0; n < perNode.Count; n++)
        {
            double seconds = Seconds(windows[Math.Min(n, windows.Count - 1)]);
            foreach (var m in perNode[n])
            {
                if (!methods.TryGetValue(m.Method, out var sum))
                {
                    order.Add(m.Method);
                    sum = (0, 0, 0, new LatencyHistogram(), 0, 0, 0);
                }

                sum.Latency.Add(m.Latency);
                methods[m.Method] = (sum.Calls + m.Calls, sum.Errors + m.Errors, sum.Rate + (m.Calls / seconds), sum.Latency, sum.TotalCalls + m.TotalCalls, sum.TotalErrors + m.TotalErrors, sum.TotalUs + m.TotalMicros);
                serviceLatency.Add(m.Latency);
                calls += m.Calls;
                errors += m.Errors;
                rate += m.Calls / seconds;
            }
        }

        var list = new List<MaculaMethodStats>(order.Count);
        foreach (string method in order)
        {
            var s = methods[method];
            list.Add(new MaculaMethodStats(method, s.Calls, s.Errors, s.Rate, Ratio(s.Errors, s.Calls), s.Latency.PercentileMs(0.5), s.Latency.PercentileMs(0.99), s.TotalCalls, s.TotalErrors, TimeSpan.FromTicks(s.TotalUs * 10)));
        }

        return new MaculaServiceStats(name, nodeIds, calls, errors, rate, Ratio(errors, calls), serviceLatency.PercentileMs(0.5), serviceLatency.PercentileMs(0.99), list);
    }

    private static double Seconds(TimeSpan window) => Math.Max(window.TotalSeconds, 0.001);

    private static double Ratio(long part, long whole) => whole == 0 ? 0 : (double)part / whole;
}
