using System.Globalization;
using System.Text;
using Macula.Benchmarks.Harness;

namespace Macula.Benchmarks.E2e;

/// <summary>The tables of the e2e report: one per kind of call, a row per system, and the warm-up check.</summary>
internal static class E2eReport
{
    private static readonly (string Kind, string Title)[] Kinds =
    [
        ("add", "Small call: typed AddAsync (Macula), 16 B request/reply (nats.go, NATS.Client.Core), unary Add (gRPC), grain AddAsync (Orleans), POST /add JSON (ASP.NET Core)"),
        ("1k", "1 KB echo: the same 1024 bytes each way in every system: typed EchoBytesAsync(byte[]), MessagePack bin (Macula), 1024 B request/reply (nats.go, NATS.Client.Core), 1024-byte `bytes` (gRPC), grain EchoAsync(byte[]) (Orleans), POST /echo-bytes octet-stream (ASP.NET Core); rows \"(1 KB DTO)\": typed EchoAsync(Document), a DTO of 16 lines, ~1 KB map-keyed MessagePack (Macula), the DTO as ~1.5 KB JSON (ASP.NET Core)"),
    ];

    public static void AppendTables(StringBuilder text, Dictionary<(string System, string Kind), List<Figures>> results, IReadOnlyList<string> systems, int inFlight)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var (kind, title) in Kinds)
        {
            text.AppendLine();
            text.AppendLine("### " + title);
            text.AppendLine();
            text.AppendLine(inv, $"| system | p50, c=1 (us) | Macula / system | p99, c=1 (us) | throughput, c={inFlight} (calls/s) | Macula / system | client alloc, c=1 (B/call) | client alloc, c={inFlight} (B/call) |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (string system in Measured(results, systems, kind))
            {
                string Cell(Func<Figures, double> pick, string format) => Format(Median(results, system, kind, pick), format);
                string Ratio(Func<Figures, double> pick) => Format(E2eBenchmark.PairedRatio(results, kind, system, pick), "0.00");
                text.AppendLine(inv, $"| {system} | {Cell(f => f.P50Us, "0.0")} | {Ratio(f => f.P50Us)} | {Cell(f => f.P99Us, "0.0")} | {Cell(f => f.CallsPerSecond, "0")} | {Ratio(f => f.CallsPerSecond)} | {Cell(f => f.BytesPerCall, "0")} | {Cell(f => f.BytesPerCallConcurrent, "0")} |");
            }
        }
    }

    /// <summary>
    /// The p50 of each round's first measured window of sequential calls over the p50 of the calls after it: near
    /// 1.00 when the warm-up left nothing cold (JIT tiers, connections, pools) for the measured calls to pay for.
    /// </summary>
    public static void AppendWarmupCheck(StringBuilder text, Dictionary<(string System, string Kind), List<Figures>> results, IReadOnlyList<string> systems)
    {
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("### Warm-up check: p50 of the first measured window / p50 of the rest (sequential calls; median and highest over rounds)");
        text.AppendLine();
        text.AppendLine("| system | add, median | add, highest | 1k, median | 1k, highest |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (string system in systems)
        {
            var cells = new List<string>();
            foreach (var (kind, _) in Kinds)
            {
                var ratios = results.TryGetValue((system, kind), out var list)
                    ? list.Select(f => f.FirstWindowP50Us / f.RestP50Us).Where(r => !double.IsNaN(r) && !double.IsInfinity(r)).ToArray()
                    : [];
                cells.Add(Format(Stats.Median(ratios), "0.00"));
                cells.Add(Format(ratios.Length == 0 ? double.NaN : ratios.Max(), "0.00"));
            }

            text.AppendLine(inv, $"| {system} | {string.Join(" | ", cells)} |");
        }
    }

    /// <summary>
    /// CPU per call by process at the round's concurrency (a second run of the concurrent phase after each round),
    /// and the throughput the machine's cores could carry at that cost: how far each system is from its CPU bound.
    /// </summary>
    public static void AppendCpu(StringBuilder text, Dictionary<(string System, string Kind), List<Figures>> results, IReadOnlyList<string> systems, int inFlight)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var (kind, _) in Kinds)
        {
            text.AppendLine();
            text.AppendLine(inv, $"### CPU per call, {kind} at {inFlight} in flight (us, median over rounds; user + system time of each process)");
            text.AppendLine();
            text.AppendLine(inv, $"| system | client | server | nats-server | total | {Environment.ProcessorCount}-core ceiling (calls/s) | measured c={inFlight} / ceiling |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (string system in Measured(results, systems, kind))
            {
                string Cell(Func<CpuPerCall, double> pick, string format) => Format(Median(results, system, kind, f => f.Cpu is { } c ? pick(c) : double.NaN), format);
                text.AppendLine(inv, $"| {system} | {Cell(c => c.ClientUs, "0.0")} | {Cell(c => c.ServerUs, "0.0")} | {Cell(c => c.BrokerUs, "0.0")} | {Cell(c => c.TotalUs, "0.0")} | {Cell(c => c.CeilingPerSecond, "0")} | {Format(Median(results, system, kind, f => f.Cpu is { } c ? f.CallsPerSecond / c.CeilingPerSecond : double.NaN), "0.00")} |");
            }
        }
    }

    /// <summary>The systems that have figures for <paramref name="kind"/> (the DTO rows exist for the 1 KB kind only).</summary>
    private static IEnumerable<string> Measured(Dictionary<(string System, string Kind), List<Figures>> results, IReadOnlyList<string> systems, string kind) =>
        systems.Where(system => results.ContainsKey((system, kind)));

    private static double Median(Dictionary<(string System, string Kind), List<Figures>> results, string system, string kind, Func<Figures, double> pick) =>
        results.TryGetValue((system, kind), out var list) ? Stats.Median(list.Select(pick)) : double.NaN;

    internal static string Format(double value, string format) => double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);
}
