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
}
