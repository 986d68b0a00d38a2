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

    /// <summary>The shortest wait for a stream's open acknowledgement (<see cref="StreamOptions.OpenTimeout"/>).</summary>
    public static readonly TimeSpan MinStreamOpenTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest wait for a stream's open acknowledgement (<see cref="StreamOptions.OpenTimeout"/>).</summary>
    public static readonly TimeSpan MaxStreamOpenTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The most calls of one service a provider may run at once (<see cref="LoadSheddingOptions.MaxConcurrency"/>).</summary>
    public const int MaxConcurrency = 65536;

    /// <summary>The longest queue of calls waiting for a slot (<see cref="LoadSheddingOptions.QueueLength"/>).</summary>
    public const int MaxQueueLength = 65536;

    /// <summary>The longest a queued call may wait for a slot (<see cref="LoadSheddingOptions.MaxQueueWait"/>).</summary>
    public static readonly TimeSpan MaxQueueWait = TimeSpan.FromSeconds(60);

    /// <summary>The most characters of a name or reason read from the wire that a log line quotes (the rest is cut).</summary>
    public const int MaxQuotedLength = 128;

    /// <summary>The longest metadata key (<see cref="MaculaMetadata"/>), without the wire prefix.</summary>
    public const int MaxMetadataKeyLength = 64;

    /// <summary>
    /// The most metadata one call or reply carries: the sum of its keys' and values' lengths as sent (binary values
    /// base64), in bytes. gRPC's default limit for all headers is 8 KiB too.
    /// </summary>
    public const int MaxMetadataBytes = 8192;

    /// <summary>
    /// Why <paramref name="key"/> cannot be a metadata key, or <see langword="null"/> when it can: 1 to
    /// <see cref="MaxMetadataKeyLength"/> ASCII letters, digits, '-', '_' and '.', not Macula's or NATS's own names
    /// (<c>Macula-*</c>, <c>Nats-*</c>, <c>traceparent</c>, <c>tracestate</c>).
    /// </summary>
    public static string? MetadataKeyProblem(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "must not be empty";
        }

        if (key.Length > MaxMetadataKeyLength)
        {
            return $"is longer than {MaxMetadataKeyLength} characters";
        }

        foreach (char c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return $"has the character '{(c < ' ' ? "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) : c.ToString())}': use ASCII letters, digits, '-', '_' and '.' only";
            }
        }

        if (key.StartsWith("macula-", StringComparison.OrdinalIgnoreCase) || key.StartsWith("nats-", StringComparison.OrdinalIgnoreCase)
            || key.Equals("traceparent", StringComparison.OrdinalIgnoreCase) || key.Equals("tracestate", StringComparison.OrdinalIgnoreCase))
        {
            return "is reserved (Macula-*, Nats-*, traceparent and tracestate are the runtime's own names)";
        }

        return null;
    }

    /// <summary>The size of <paramref name="metadata"/> as <see cref="MaxMetadataBytes"/> counts it: keys and values as sent (binary values base64, UTF-8 strings), without the wire prefix.</summary>
    public static int MetadataSize(MaculaMetadata metadata)
    {
        int size = 0;
        foreach (var entry in metadata)
        {
            size += entry.Key.Length + (entry.Bytes is { } bytes ? ((bytes.Length + 2) / 3) * 4 : System.Text.Encoding.UTF8.GetByteCount(entry.Value!));
        }

        return size;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> when <paramref name="metadata"/> is larger than <see cref="MaxMetadataBytes"/>.</summary>
    public static void CheckMetadataSize(MaculaMetadata metadata, string name)
    {
        int size = MetadataSize(metadata);
        if (size > MaxMetadataBytes)
        {
            throw new ArgumentException($"{name} takes {size} bytes ({metadata.Count} entries), more than the limit of {MaxMetadataBytes} bytes; nothing was sent.", name);
        }
    }

    /// <summary>Why <paramref name="value"/> cannot be a string metadata value (a control character such as a line break), or <see langword="null"/>.</summary>
    public static string? MetadataValueProblem(string value)
    {
        foreach (char c in value)
        {
            if (c < ' ' || c == '\u007f')
            {
                return "has a control character (such as a line break), which headers cannot carry: use a '-bin' key and a byte value";
            }
        }

        return null;
    }

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

    /// <summary>The shortest record lifetime a provider may advertise: re-advertisement runs at half of it.</summary>
    public static readonly TimeSpan MinAdvertiseTtl = TimeSpan.FromSeconds(1);

    // The numeric rules of the options, each written once: the option records' own checks
    // (MaculaNodeOptions, ClientOptions, CallOptions, CompressionOptions) and Macula.Hosting's start-up validator
    // ask these, and only word the answer for their audience ("MaculaNodeOptions.AdvertiseTtl ..." in code,
    // "Macula:AdvertiseTtl ..." in configuration). Each returns null when the value is fine.
    public static string? AdvertiseTtlProblem(TimeSpan value) => value < MinAdvertiseTtl ? "must be at least 1 second" : null;

    public static string? DiscoveryCacheTtlProblem(TimeSpan value) => NegativeProblem(value);

    public static string? ShutdownGracePeriodProblem(TimeSpan value) => NegativeProblem(value);

    public static string? TimeoutProblem(TimeSpan? value) => value <= TimeSpan.Zero ? "must be positive" : null;

    public static string? StreamOpenTimeoutProblem(TimeSpan value) =>
        value < MinStreamOpenTimeout || value > MaxStreamOpenTimeout ? $"must be between {MinStreamOpenTimeout.TotalMilliseconds:0} ms and {MaxStreamOpenTimeout.TotalMinutes:0} minutes" : null;

    public static string? AttemptTimeoutProblem(TimeSpan? value) => value <= TimeSpan.Zero ? "must be positive (or unset for the time the call has left)" : null;

    public static string? HedgeAfterProblem(TimeSpan? value) => value <= TimeSpan.Zero ? "must be positive (or unset for no hedging)" : null;

    public static string? MaxAttemptsProblem(int? value) => value is < 1 ? "must be at least 1 (or unset for min(3, providers))" : null;

    public static string? CompressionMinBytesProblem(int value) => value < 0 ? "must not be negative" : null;

    public static string? MaxConcurrencyProblem(int value) => value < 1 || value > MaxConcurrency ? $"must be between 1 and {MaxConcurrency}" : null;

    public static string? QueueLengthProblem(int value) => value < 0 || value > MaxQueueLength ? $"must be between 0 and {MaxQueueLength}" : null;

    public static string? MaxQueueWaitProblem(TimeSpan value) => value < TimeSpan.Zero || value > MaxQueueWait ? $"must be between 0 and {MaxQueueWait.TotalSeconds:0} s" : null;

    /// <summary>Throws the <see cref="ArgumentOutOfRangeException"/> an option record's check throws for <paramref name="problem"/>, if any.</summary>
    public static void Require(string? problem, string owner, string option, object? value)
    {
        if (problem is not null)
        {
            throw new ArgumentOutOfRangeException(option, value, $"{owner}.{option} {problem}.");
        }
    }

    private static string? NegativeProblem(TimeSpan value) => value < TimeSpan.Zero ? "must not be negative" : null;

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
