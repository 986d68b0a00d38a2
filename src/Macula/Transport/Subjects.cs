namespace Macula.Transport;

/// <summary>
/// Every subject a node uses, in one place (docs/wire-protocol.md quotes them). All live under
/// <c>macula.&lt;realm&gt;.</c>, so one NATS permission or account per realm isolates it (docs/security.md).
/// </summary>
internal static class Subjects
{
    /// <summary><c>macula.&lt;realm&gt;.rpc.&lt;service&gt;.&lt;nodeId&gt;</c>: the calls of one provider of a service.</summary>
    public static string Rpc(string realm, string service, string nodeId) => $"macula.{realm}.rpc.{service}.{nodeId}";

    /// <summary>
    /// Splits an RPC subject of <paramref name="realm"/> into its service and node id. Service names may hold dots;
    /// node ids may not, so the node id is the last token.
    /// </summary>
    public static bool TryParseRpc(string subject, string realm, out string service, out string nodeId)
    {
        service = nodeId = "";
        string prefix = $"macula.{realm}.rpc.";
        if (!subject.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int last = subject.LastIndexOf('.');
        if (last <= prefix.Length || last == subject.Length - 1)
        {
            return false;
        }

        service = subject[prefix.Length..last];
        nodeId = subject[(last + 1)..];
        return true;
    }

    /// <summary><c>macula.&lt;realm&gt;.discovery.&lt;service&gt;</c>: providers announce joining and leaving.</summary>
    public static string Discovery(string realm, string service) => $"macula.{realm}.discovery.{service}";

    /// <summary>
    /// <c>macula.&lt;realm&gt;.events.&lt;contract&gt;.&lt;event&gt;</c>: one event of an event contract. Contract names
    /// may hold dots; event names may not, so the event is the last token.
    /// </summary>
    public static string Event(string realm, string contract, string eventName) => $"macula.{realm}.events.{contract}.{eventName}";

    /// <summary><c>macula.&lt;realm&gt;.events.&lt;contract&gt;.*</c>: every event of an event contract.</summary>
    public static string Events(string realm, string contract) => $"macula.{realm}.events.{contract}.*";

    /// <summary><c>macula.&lt;realm&gt;.events.&lt;contract&gt;.</c>: what precedes the event name in an event's subject.</summary>
    public static string EventPrefix(string realm, string contract) => $"macula.{realm}.events.{contract}.";
}
