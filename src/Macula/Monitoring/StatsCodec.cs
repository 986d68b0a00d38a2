using Macula.Rpc;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Monitoring;

/// <summary>
/// The stats request and reply bodies (docs/wire-protocol.md, "Stats"): MessagePack maps keyed by name, with a version
/// field; readers skip keys they do not know, so later versions may add figures.
/// </summary>
internal static class StatsCodec
{
    public const int Version = 1;

    public static byte[] WriteRequest(int windowSeconds)
    {
        using var buffer = new PooledBufferWriter();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(2);
        w.Write("v");
        w.Write(Version);
        w.Write("window_s");
        w.Write(windowSeconds);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The window a request asks for: <paramref name="fallback"/> for an empty or undecodable body.</summary>
    public static int ReadRequestWindow(ReadOnlyMemory<byte> body, int fallback)
    {
        if (body.IsEmpty)
        {
            return fallback;
        }

        try
        {
            var r = new MessagePackReader(body);
            int window = fallback;
            for (int n = r.ReadMapHeader(); n > 0; n--)
            {
                if (FormatterSupport.ReadString(ref r) == "window_s")
                {
                    window = r.ReadInt32();
                }
                else
                {
                    r.Skip();
                }
            }

            return window;
        }
        catch (MessagePackSerializationException)
        {
            return fallback;
        }
        catch (EndOfStreamException)
        {
            return fallback;
        }
    }

    public static byte[] WriteReply(NodeStatsReport report)
    {
        using var buffer = new PooledBufferWriter(1024);
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(13);
        w.Write("v");
        w.Write(Version);
        w.Write("node_id");
        w.Write(report.NodeId);
        w.Write("realm");
        w.Write(report.Realm);
        w.Write("version");
        FormatterSupport.WriteString(ref w, report.Version);
        w.Write("zone");
        FormatterSupport.WriteString(ref w, report.Zone);
        w.Write("macula_version");
        w.Write(report.MaculaVersion);
        w.Write("started_at");
        w.Write(report.StartedAt.UtcDateTime);
        w.Write("uptime_ms");
        w.Write((long)report.Uptime.TotalMilliseconds);
        w.Write("window_ms");
        w.Write((long)report.Window.TotalMilliseconds);
        w.Write("metadata");
        w.WriteMapHeader(report.Metadata.Count);
        foreach (var (k, v) in report.Metadata)
        {
            w.Write(k);
            w.Write(v);
        }

        w.Write("services");
        w.WriteArrayHeader(report.Services.Count);
        foreach (var service in report.Services)
        {
            w.WriteMapHeader(3);
            w.Write("name");
            w.Write(service.Name);
            w.Write("subject");
            w.Write(service.Subject);
            w.Write("methods");
            w.WriteArrayHeader(service.Methods.Count);
            foreach (var m in service.Methods)
            {
                WriteMethod(ref w, m);
            }
        }

        w.Write("providers");
        w.WriteArrayHeader(report.Providers.Count);
        foreach (var p in report.Providers)
        {
            w.WriteMapHeader(7);
            w.Write("service");
            w.Write(p.Service);
            w.Write("node_id");
            w.Write(p.NodeId);
            w.Write("latency_ewma_ms");
            w.Write(p.LatencyEwmaMs);
            w.Write("in_flight");
            w.Write(p.InFlight);
            w.Write("consecutive_failures");
            w.Write(p.ConsecutiveFailures);
            w.Write("circuit");
            w.Write(CircuitName(p.Circuit));
            w.Write("last_error");
            FormatterSupport.WriteString(ref w, p.LastError);
        }

        w.Write("dht");
        w.WriteMapHeader(7);
        w.Write("contacts");
        w.Write(report.Dht.RoutingTableContacts);
        w.Write("keys");
        w.Write(report.Dht.StoredKeys);
        w.Write("records");
        w.Write(report.Dht.StoredRecords);
        w.Write("lookups");
        w.Write(report.Dht.Lookups);
        w.Write("sent");
        w.Write(report.Dht.RequestsSent);
        w.Write("received");
        w.Write(report.Dht.RequestsReceived);
        w.Write("dropped");
        w.Write(report.Dht.MessagesDropped);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMethod(ref MessagePackWriter w, MethodWindowSnapshot m)
    {
        w.WriteMapHeader(8);
        w.Write("name");
        w.Write(m.Method);
        w.Write("calls");
        w.Write(m.Calls);
        w.Write("errors");
        w.Write(m.Errors);
        w.Write("latency");
        int used = 0;
        for (int i = 0; i < LatencyHistogram.BinCount; i++)
        {
            used += m.Latency[i] > 0 ? 1 : 0;
        }

        w.WriteArrayHeader(used * 2);
        for (int i = 0; i < LatencyHistogram.BinCount; i++)
        {
            if (m.Latency[i] > 0)
            {
                w.Write(i);
                w.Write(m.Latency[i]);
            }
        }

        w.Write("total_calls");
        w.Write(m.TotalCalls);
        w.Write("total_errors");
        w.Write(m.TotalErrors);
        w.Write("total_us");
        w.Write(m.TotalMicros);
        w.Write("last_error");
        w.Write(m.LastError);
    }

    public static string CircuitName(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        _ => "half_open",
    };

    private static CircuitState ParseCircuit(string? name) => name switch
    {
        "open" => CircuitState.Open,
        "half_open" => CircuitState.HalfOpen,
        _ => CircuitState.Closed,
    };

    /// <summary>Reads a stats reply under the node's untrusted-data options.</summary>
    public static NodeStatsReport ReadReply(ReadOnlyMemory<byte> body, MessagePackSerializerOptions options) =>
        MaculaSerializer.Deserialize(body, ReplyFormatter.Instance, options);

    private sealed class ReplyFormatter : IMessagePackFormatter<NodeStatsReport>
    {
        public static readonly ReplyFormatter Instance = new();

        public void Serialize(ref MessagePackWriter writer, NodeStatsReport value, MessagePackSerializerOptions options) =>
            throw new NotSupportedException("Stats replies are written by StatsCodec.WriteReply.");

        public NodeStatsReport Deserialize(ref MessagePackReader r, MessagePackSerializerOptions options)
        {
            options.Security.DepthStep(ref r);
            string nodeId = "", realm = "", maculaVersion = "";
            string? version = null, zone = null;
            DateTimeOffset startedAt = default;
            long uptime = 0, window = 0;
            var metadata = new Dictionary<string, string>(options.Security.GetEqualityComparer<string>());
            var services = new List<ServiceReport>();
            var providers = new List<ProviderHealthSnapshot>();
            var dht = new MaculaDhtStats(0, 0, 0, 0, 0, 0, 0);
            for (int n = r.ReadMapHeader(); n > 0; n--)
            {
                switch (FormatterSupport.ReadString(ref r))
                {
                    case "node_id": nodeId = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "realm": realm = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "version": version = FormatterSupport.ReadString(ref r); break;
                    case "zone": zone = FormatterSupport.ReadString(ref r); break;
                    case "macula_version": maculaVersion = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "started_at": startedAt = new DateTimeOffset(r.ReadDateTime()); break;
                    case "uptime_ms": uptime = r.ReadInt64(); break;
                    case "window_ms": window = r.ReadInt64(); break;
                    case "metadata":
                        for (int i = r.ReadMapHeader(); i > 0; i--)
                        {
                            string k = FormatterSupport.ReadString(ref r) ?? "";
                            metadata[k] = FormatterSupport.ReadString(ref r) ?? "";
                        }

                        break;
                    case "services":
                        options.Security.DepthStep(ref r);
                        for (int i = r.ReadArrayHeader(); i > 0; i--)
                        {
                            services.Add(ReadService(ref r, options));
                        }

                        r.Depth--;
                        break;
                    case "providers":
                        options.Security.DepthStep(ref r);
                        for (int i = r.ReadArrayHeader(); i > 0; i--)
                        {
                            providers.Add(ReadProvider(ref r, options));
                        }

                        r.Depth--;
                        break;
                    case "dht": dht = ReadDht(ref r, options); break;
                    default: r.Skip(); break;
                }
            }

            r.Depth--;
            return new NodeStatsReport(nodeId, realm, version, zone, maculaVersion, startedAt, TimeSpan.FromMilliseconds(uptime), TimeSpan.FromMilliseconds(window), metadata, services, providers, dht);
        }

        private static ServiceReport ReadService(ref MessagePackReader r, MessagePackSerializerOptions options)
        {
            options.Security.DepthStep(ref r);
            string name = "", subject = "";
            var methods = new List<MethodWindowSnapshot>();
            for (int n = r.ReadMapHeader(); n > 0; n--)
            {
                switch (FormatterSupport.ReadString(ref r))
                {
                    case "name": name = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "subject": subject = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "methods":
                        options.Security.DepthStep(ref r);
                        for (int i = r.ReadArrayHeader(); i > 0; i--)
                        {
                            methods.Add(ReadMethod(ref r, options));
                        }

                        r.Depth--;
                        break;
                    default: r.Skip(); break;
                }
            }

            r.Depth--;
            return new ServiceReport(name, subject, methods);
        }

        private static MethodWindowSnapshot ReadMethod(ref MessagePackReader r, MessagePackSerializerOptions options)
        {
            options.Security.DepthStep(ref r);
            string name = "", lastError = "";
            long calls = 0, errors = 0, totalCalls = 0, totalErrors = 0, totalUs = 0;
            var latency = new LatencyHistogram();
            for (int n = r.ReadMapHeader(); n > 0; n--)
            {
                switch (FormatterSupport.ReadString(ref r))
                {
                    case "name": name = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "calls": calls = r.ReadInt64(); break;
                    case "errors": errors = r.ReadInt64(); break;
                    case "total_calls": totalCalls = r.ReadInt64(); break;
                    case "total_errors": totalErrors = r.ReadInt64(); break;
                    case "total_us": totalUs = r.ReadInt64(); break;
                    case "last_error": lastError = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "latency":
                        int count = r.ReadArrayHeader();
                        if (count % 2 != 0 || count > LatencyHistogram.BinCount * 2)
                        {
                            throw new MessagePackSerializationException($"A latency histogram has {count} elements; expected pairs of at most {LatencyHistogram.BinCount} bins.");
                        }

                        for (int i = 0; i < count; i += 2)
                        {
                            int bin = r.ReadInt32();
                            long c = r.ReadInt64();
                            if ((uint)bin >= LatencyHistogram.BinCount || c < 0)
                            {
                                throw new MessagePackSerializationException($"A latency histogram has bin {bin} with count {c}.");
                            }

                            latency.Add(bin, c);
                        }

                        break;
                    default: r.Skip(); break;
                }
            }

            r.Depth--;
            return new MethodWindowSnapshot(name, calls, errors, latency, totalCalls, totalErrors, totalUs, lastError);
        }

        private static ProviderHealthSnapshot ReadProvider(ref MessagePackReader r, MessagePackSerializerOptions options)
        {
            options.Security.DepthStep(ref r);
            string service = "", nodeId = "";
            string? circuit = null, lastError = null;
            double latency = 0;
            int inFlight = 0, failures = 0;
            for (int n = r.ReadMapHeader(); n > 0; n--)
            {
                switch (FormatterSupport.ReadString(ref r))
                {
                    case "service": service = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "node_id": nodeId = FormatterSupport.ReadString(ref r) ?? ""; break;
                    case "latency_ewma_ms": latency = r.ReadDouble(); break;
                    case "in_flight": inFlight = r.ReadInt32(); break;
                    case "consecutive_failures": failures = r.ReadInt32(); break;
                    case "circuit": circuit = FormatterSupport.ReadString(ref r); break;
                    case "last_error": lastError = FormatterSupport.ReadString(ref r); break;
                    default: r.Skip(); break;
                }
            }

            r.Depth--;
            return new ProviderHealthSnapshot(service, nodeId, latency, inFlight, failures, ParseCircuit(circuit), lastError);
        }

        private static MaculaDhtStats ReadDht(ref MessagePackReader r, MessagePackSerializerOptions options)
        {
            options.Security.DepthStep(ref r);
            int contacts = 0, keys = 0, records = 0;
            long lookups = 0, sent = 0, received = 0, dropped = 0;
            for (int n = r.ReadMapHeader(); n > 0; n--)
            {
                switch (FormatterSupport.ReadString(ref r))
                {
                    case "contacts": contacts = r.ReadInt32(); break;
                    case "keys": keys = r.ReadInt32(); break;
                    case "records": records = r.ReadInt32(); break;
                    case "lookups": lookups = r.ReadInt64(); break;
                    case "sent": sent = r.ReadInt64(); break;
                    case "received": received = r.ReadInt64(); break;
                    case "dropped": dropped = r.ReadInt64(); break;
                    default: r.Skip(); break;
                }
            }

            r.Depth--;
            return new MaculaDhtStats(contacts, keys, records, lookups, sent, received, dropped);
        }
    }
}
