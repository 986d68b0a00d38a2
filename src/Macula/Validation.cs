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

    /// <summary>The longest zone name and tag name (<see cref="ProviderOptions.Zone"/>, <see cref="ProviderOptions.Tags"/>).</summary>
    public const int MaxZoneLength = 64;

    /// <summary>The longest tag value.</summary>
    public const int MaxTagValueLength = 256;

    /// <summary>The most tags one provider advertises.</summary>
    public const int MaxTags = 32;

    /// <summary>
    /// Why <paramref name="value"/> cannot be a zone or tag name (letters, digits, '-', '_' and '.', 1 to
    /// <see cref="MaxZoneLength"/> characters), or <see langword="null"/> when it can.
    /// </summary>
    public static string? ZoneProblem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "must not be empty";
        }

        if (value.Length > MaxZoneLength)
        {
            return $"is longer than {MaxZoneLength} characters";
        }

        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return $"has the character '{c}': use letters, digits, '-', '_' and '.' only";
            }
        }

        return null;
    }

    /// <summary>Why <paramref name="name"/>=<paramref name="value"/> cannot be a provider tag, or <see langword="null"/> when it can.</summary>
    public static string? TagProblem(string? name, string? value)
    {
        if (ZoneProblem(name) is { } problem)
        {
            return "has a name that " + problem;
        }

        if (value is null)
        {
            return "has a null value";
        }

        if (value.Length > MaxTagValueLength)
        {
            return $"has a value longer than {MaxTagValueLength} characters";
        }

        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                return "has a control character in its value";
            }
        }

        return null;
    }

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
