using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Macula.Rpc;

namespace Macula.Dashboard;

/// <summary>
/// The JSON the page reads (<c>{pattern}/api/stats</c>), written with <see cref="Utf8JsonWriter"/> (no reflection):
/// services, one row per provider (its own server-side figures and what its callers see of it), nodes, DHT totals.
/// </summary>
internal static class DashboardJson
{
    public static byte[] Write(MaculaMeshStats stats, string askedBy)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("realm", stats.Realm);
            json.WriteString("collected_at", stats.CollectedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteNumber("window_s", stats.Window.TotalSeconds);
            json.WriteString("asked_by", askedBy);

            json.WriteStartObject("dht");
            json.WriteNumber("nodes", stats.Nodes.Count);
            json.WriteNumber("keys", stats.Nodes.Sum(n => (long)n.Dht.StoredKeys));
            json.WriteNumber("records", stats.Nodes.Sum(n => (long)n.Dht.StoredRecords));
            json.WriteNumber("lookups", stats.Nodes.Sum(n => n.Dht.Lookups));
            json.WriteEndObject();

            json.WriteStartArray("services");
            foreach (var s in stats.Services)
            {
                json.WriteStartObject();
                json.WriteString("name", s.Service);
                WriteStrings(json, "providers", s.NodeIds);
                WriteFigures(json, s.Calls, s.Errors, s.CallsPerSecond, s.ErrorRate, s.P50Ms, s.P99Ms);
                json.WriteStartArray("methods");
                foreach (var m in s.Methods)
                {
                    json.WriteStartObject();
                    json.WriteString("name", m.Method);
                    WriteFigures(json, m.Calls, m.Errors, m.CallsPerSecond, m.ErrorRate, m.P50Ms, m.P99Ms);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("providers");
            foreach (var node in stats.Nodes)
            {
                foreach (var s in node.Services)
                {
                    json.WriteStartObject();
                    json.WriteString("service", s.Service);
                    json.WriteString("node_id", node.NodeId);
                    WriteNullable(json, "version", node.Version);
                    WriteNullable(json, "zone", node.Zone);
                    json.WriteNumber("age_s", Math.Round(node.Uptime.TotalSeconds, 1));
                    WriteFigures(json, s.Calls, s.Errors, s.CallsPerSecond, s.ErrorRate, s.P50Ms, s.P99Ms);
                    WriteHealth(json, stats.Nodes, s.Service, node.NodeId);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();

            json.WriteStartArray("nodes");
            foreach (var node in stats.Nodes)
            {
                json.WriteStartObject();
                json.WriteString("node_id", node.NodeId);
                WriteNullable(json, "version", node.Version);
                WriteNullable(json, "zone", node.Zone);
                WriteNullable(json, "role", node.Metadata.GetValueOrDefault("role"));
                json.WriteString("macula_version", node.MaculaVersion);
                json.WriteNumber("uptime_s", Math.Round(node.Uptime.TotalSeconds, 1));
                json.WriteNumber("rtt_ms", Math.Round(node.RoundTrip.TotalMilliseconds, 2));
                WriteStrings(json, "services", node.Services.Select(s => s.Service));
                json.WriteNumber("providers_seen", node.Providers.Count);
                json.WriteStartObject("dht");
                json.WriteNumber("contacts", node.Dht.RoutingTableContacts);
                json.WriteNumber("keys", node.Dht.StoredKeys);
                json.WriteNumber("records", node.Dht.StoredRecords);
                json.WriteNumber("lookups", node.Dht.Lookups);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// What the callers of one provider see of it, over every node that has called it: the worst circuit state, the
    /// mean latency EWMA, calls in flight summed, the most consecutive failures; null when no node has called it.
    /// </summary>
    private static void WriteHealth(Utf8JsonWriter json, IReadOnlyList<MaculaNodeStats> nodes, string service, string nodeId)
    {
        int observers = 0, inFlight = 0, failures = 0;
        double latency = 0;
        var circuit = CircuitState.Closed;
        string? lastError = null;
        foreach (var node in nodes)
        {
            foreach (var p in node.Providers)
            {
                if (p.Service != service || p.NodeId != nodeId)
                {
                    continue;
                }

                observers++;
                latency += p.LatencyEwmaMs;
                inFlight += p.InFlight;
                failures = Math.Max(failures, p.ConsecutiveFailures);
                lastError ??= p.LastError;
                if (Severity(p.Circuit) > Severity(circuit))
                {
                    circuit = p.Circuit;
                }
            }
        }

        if (observers == 0)
        {
            json.WriteNull("health");
            return;
        }

        json.WriteStartObject("health");
        json.WriteNumber("observers", observers);
        json.WriteNumber("latency_ewma_ms", Math.Round(latency / observers, 3));
        json.WriteNumber("in_flight", inFlight);
        json.WriteNumber("consecutive_failures", failures);
        json.WriteString("circuit", circuit switch { CircuitState.Open => "open", CircuitState.HalfOpen => "half_open", _ => "closed" });
        WriteNullable(json, "last_error", lastError);
        json.WriteEndObject();
    }

    private static int Severity(CircuitState state) => state switch { CircuitState.Open => 2, CircuitState.HalfOpen => 1, _ => 0 };

    private static void WriteFigures(Utf8JsonWriter json, long calls, long errors, double rate, double errorRate, double? p50, double? p99)
    {
        json.WriteNumber("calls", calls);
        json.WriteNumber("errors", errors);
        json.WriteNumber("calls_per_s", Math.Round(rate, 3));
        json.WriteNumber("error_rate", Math.Round(errorRate, 4));
        WriteNullable(json, "p50_ms", p50);
        WriteNullable(json, "p99_ms", p99);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteNumber(name, Math.Round(value.Value, 3));
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string v in values)
        {
            json.WriteStringValue(v);
        }

        json.WriteEndArray();
    }
}
