using Macula.Transport;

namespace Macula;

/// <summary>
/// The rules a name must meet, in one place: the core's option checks, the DHT's reading of the wire, the signatures'
/// node-id checks and Macula.Hosting's configuration validator all ask here, each wording the error for its own user
/// (<c>MaculaNodeOptions.Realm</c>, <c>Macula:Realm</c>, ...).
/// </summary>
internal static class Validation
{
    /// <summary>The longest node id, and the longest realm name a certificate can bind.</summary>
    public const int MaxLength = 128;

    /// <summary>The largest stream credit window (<see cref="StreamOptions.Window"/>).</summary>
    public const int MaxStreamWindow = 65536;

    /// <summary>The most calls of one service a provider may run at once (<see cref="LoadSheddingOptions.MaxConcurrency"/>).</summary>
    public const int MaxConcurrency = 65536;

    /// <summary>The longest queue of calls waiting for a slot (<see cref="LoadSheddingOptions.QueueLength"/>).</summary>
    public const int MaxQueueLength = 65536;

    /// <summary>The longest a queued call may wait for a slot (<see cref="LoadSheddingOptions.MaxQueueWait"/>).</summary>
    public static readonly TimeSpan MaxQueueWait = TimeSpan.FromSeconds(60);

    /// <summary>The most characters of a name or reason read from the wire that a log line quotes (the rest is cut).</summary>
    public const int MaxQuotedLength = 128;

    /// <summary>
    /// Why <paramref name="value"/> cannot be a realm name or node id (one NATS subject token of letters, digits, '-'
    /// and '_'), or <see langword="null"/> when it can: "must not be empty", or "has the character 'c': use ...".
    /// </summary>
    public static string? TokenProblem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "must not be empty";
        }

        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return $"has the character '{c}': use letters, digits, '-' and '_' only";
            }
        }

        return null;
    }

    /// <summary>
    /// Why <paramref name="value"/> cannot be this node's id (a token, at most <see cref="MaxLength"/> characters, not
    /// the DHT's bootstrap token), or <see langword="null"/> when it can.
    /// </summary>
    public static string? NodeIdProblem(string? value) =>
        TokenProblem(value) ?? (value == Subjects.DhtBootstrapToken || value!.Length > MaxLength ? $"is reserved or longer than {MaxLength} characters" : null);

    /// <summary>Whether <paramref name="value"/> is a realm name or node id as signatures bind them: a token of 1 to <see cref="MaxLength"/> characters.</summary>
    public static bool IsToken(string? value) => value?.Length <= MaxLength && TokenProblem(value) is null;

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> unless <paramref name="value"/> is a token (<see cref="IsToken"/>).</summary>
    public static void RequireToken(string? value, string name)
    {
        if (!IsToken(value))
        {
            throw new ArgumentException($"The {name} '{value}' is not valid: use 1 to {MaxLength} letters, digits, '-' and '_'.", name);
        }
    }

    /// <summary>
    /// Whether <paramref name="nodeId"/> read from the wire can name a DHT node: one subject token of printable ASCII
    /// (no dot, no wildcard), at most <see cref="MaxLength"/> characters, and not the bootstrap subject's token. This is the
    /// DHT's wire rule, looser than <see cref="NodeIdProblem"/> (what a node may call itself); what is signed is also
    /// checked with <see cref="IsToken"/>.
    /// </summary>
    public static bool IsDhtNodeId(string? nodeId)
    {
        if (string.IsNullOrEmpty(nodeId) || nodeId.Length > MaxLength || nodeId == Subjects.DhtBootstrapToken)
        {
            return false;
        }

        foreach (char c in nodeId)
        {
            if (c <= ' ' || c > '~' || c is '.' or '*' or '>')
            {
                return false;
            }
        }

        return true;
    }
}
