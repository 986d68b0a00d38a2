namespace Macula;

/// <summary>
/// Marks an interface as a Macula service. The source generator writes a typed client proxy,
/// a provider dispatcher and MessagePack formatters for it.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class MaculaServiceAttribute : Attribute
{
    /// <summary>Uses the interface name without its leading <c>I</c> as the service name (<c>ICalculator</c> becomes <c>Calculator</c>).</summary>
    public MaculaServiceAttribute()
    {
    }

    /// <summary>Uses <paramref name="name"/> as the service name on the wire and in discovery.</summary>
    public MaculaServiceAttribute(string name) => Name = name;

    /// <summary>The service name, or <see langword="null"/> for the default derived from the interface name.</summary>
    public string? Name { get; }
}

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

    /// <summary>Per-attempt timeout in milliseconds for this method; 0 uses the client's timeout.</summary>
    public int TimeoutMs { get; set; }

    /// <summary>Maximum number of attempts for this method; 0 uses the client's setting.</summary>
    public int MaxAttempts { get; set; }

    /// <summary>Whether this method's calls and replies are compressed, whatever the client and node say. Default: as they say.</summary>
    public MethodCompression Compression { get; set; }
}
