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

    /// <summary><c>macula.&lt;realm&gt;.stats</c>: a stats request every node of the realm answers (docs/wire-protocol.md, "Stats").</summary>
    public static string Stats(string realm) => $"macula.{realm}.stats";

    /// <summary><c>macula.&lt;realm&gt;.stats.&lt;nodeId&gt;</c>: a stats request one node answers.</summary>
    public static string NodeStats(string realm, string nodeId) => $"macula.{realm}.stats.{nodeId}";

    /// <summary>
    /// <c>$SRV.&lt;verb&gt;</c> and <c>$SRV.&lt;verb&gt;.&gt;</c>: the NATS service API (ADR-32), outside the realm prefix
    /// (docs/security.md says what it exposes); <paramref name="verb"/> is PING, INFO or STATS.
    /// </summary>
    public static string ServiceApi(string verb, bool wildcard) => wildcard ? $"$SRV.{verb}.>" : $"$SRV.{verb}";

    /// <summary><c>macula.&lt;realm&gt;.stream.&lt;nodeId&gt;.&lt;unique&gt;</c>: one stream's inbox (client side) or control subject (provider side).</summary>
    public static string NewStream(string realm, string nodeId) => $"macula.{realm}.stream.{nodeId}.{Guid.NewGuid():N}";

    /// <summary><c>macula.&lt;realm&gt;.dht.&lt;nodeId&gt;</c>: the DHT requests (PING, FIND_NODE, FIND_VALUE, STORE, DELETE) of one node.</summary>
    public static string DhtNode(string realm, string nodeId) => $"macula.{realm}.dht.{nodeId}";

    /// <summary>The last token of the bootstrap subject; no node may use it as its id.</summary>
    public const string DhtBootstrapToken = "bootstrap";

    /// <summary>The queue group of the bootstrap subscription, so one existing node answers each newcomer.</summary>
    public const string DhtBootstrapQueueGroup = "macula-dht-bootstrap";

    /// <summary><c>macula.&lt;realm&gt;.dht.bootstrap</c>: a newcomer's first request, answered by one node of the queue group.</summary>
    public static string DhtBootstrap(string realm) => $"macula.{realm}.dht.{DhtBootstrapToken}";

    /// <summary><c>macula.&lt;realm&gt;.node.&lt;nodeId&gt;</c>: "who are you" to one node.</summary>
    public static string Node(string realm, string nodeId) => $"macula.{realm}.node.{nodeId}";

    /// <summary><c>macula.&lt;realm&gt;.nodes</c>: "who are you" to every node of the realm.</summary>
    public static string AllNodes(string realm) => $"macula.{realm}.nodes";

    /// <summary><c>_INBOX.macula.&lt;unique&gt;</c>: where a node gathers the answers to one <see cref="AllNodes"/> request.</summary>
    public static string NewGatherInbox() => $"_INBOX.macula.{Guid.NewGuid():N}";

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
