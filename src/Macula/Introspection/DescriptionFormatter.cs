using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Introspection;

/// <summary>Reads the map of a node description; written by <see cref="NodeIntrospection"/>, read by tools.</summary>
internal sealed class DescriptionFormatter : IMessagePackFormatter<MaculaNodeInfo>
{
    public static readonly DescriptionFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, MaculaNodeInfo value, MessagePackSerializerOptions options) =>
        throw new NotSupportedException("Node descriptions are written by NodeIntrospection.");

    public MaculaNodeInfo Deserialize(ref MessagePackReader r, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref r);
        string nodeId = "", realm = "";
        var services = new List<string>();
        var metadata = new Dictionary<string, string>(options.Security.GetEqualityComparer<string>());
        DateTimeOffset startedAt = default;
        int contacts = 0, keys = 0, records = 0;
        long lookups = 0;
        for (int n = r.ReadMapHeader(); n > 0; n--)
        {
            switch (FormatterSupport.ReadString(ref r))
            {
                case "node_id": nodeId = FormatterSupport.ReadString(ref r) ?? ""; break;
                case "realm": realm = FormatterSupport.ReadString(ref r) ?? ""; break;
                case "services":
                    for (int i = r.ReadArrayHeader(); i > 0; i--)
                    {
                        services.Add(FormatterSupport.ReadString(ref r) ?? "");
                    }

                    break;
                case "metadata":
                    for (int i = r.ReadMapHeader(); i > 0; i--)
                    {
                        string k = FormatterSupport.ReadString(ref r) ?? "";
                        metadata[k] = FormatterSupport.ReadString(ref r) ?? "";
                    }

                    break;
                case "started_at": startedAt = new DateTimeOffset(r.ReadDateTime()); break;
                case "dht":
                    options.Security.DepthStep(ref r);
                    for (int i = r.ReadMapHeader(); i > 0; i--)
                    {
                        switch (FormatterSupport.ReadString(ref r))
                        {
                            case "contacts": contacts = r.ReadInt32(); break;
                            case "keys": keys = r.ReadInt32(); break;
                            case "records": records = r.ReadInt32(); break;
                            case "lookups": lookups = r.ReadInt64(); break;
                            default: r.Skip(); break;
                        }
                    }

                    r.Depth--;
                    break;
                default: r.Skip(); break;
            }
        }

        r.Depth--;
        return new MaculaNodeInfo(nodeId, realm, services, metadata, startedAt, new MaculaDhtStats(contacts, keys, records, lookups, 0, 0, 0), TimeSpan.Zero);
    }
}
