namespace Macula;

/// <summary>Optional per-method settings of a <see cref="MaculaServiceAttribute"/> interface.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class MaculaMethodAttribute : Attribute
{
    /// <summary>The method name on the wire. Defaults to the C# method name.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Whether the method may safely run more than once for one call. Idempotent methods (the default) fail over
    /// on any infrastructure failure; non-idempotent methods fail over only when the request provably never
    /// reached a provider, so they never run twice.
    /// </summary>
    public bool Idempotent { get; set; } = true;

    /// <summary>The time a call of this method may take in all (discovery, attempts, failover), in milliseconds; 0 uses the client's timeout. <see cref="CallOptions.Timeout"/> overrides it.</summary>
    public int TimeoutMs { get; set; }

    /// <summary>Maximum number of attempts for this method; 0 uses the client's setting.</summary>
    public int MaxAttempts { get; set; }

    /// <summary>Whether this method's calls and replies are compressed, whatever the client and node say. Default: as they say.</summary>
    public MethodCompression Compression { get; set; }

    /// <summary>
    /// Whether the call returns once a provider has received it, without waiting for the implementation: the provider
    /// acknowledges it as soon as it has read the arguments, then runs it, and the caller never sees its outcome.
    /// At most once: never retried once it may have been delivered (only past no-responders and refusals that prove
    /// it never ran), whatever <see cref="Idempotent"/> says. The method must return <c>Task</c> or <c>ValueTask</c>.
    /// </summary>
    public bool OneWay { get; set; }
}
