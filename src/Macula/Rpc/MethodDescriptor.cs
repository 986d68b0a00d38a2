using System.ComponentModel;

namespace Macula.Rpc;

/// <summary>One method of a service, as the generator describes it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class MethodDescriptor
{
    /// <summary>Creates the descriptor (called by generated code).</summary>
    public MethodDescriptor(string name, int index, bool idempotent = true, int timeoutMs = 0, int maxAttempts = 0, MethodCompression compression = MethodCompression.Default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Index = index;
        Idempotent = idempotent;
        TimeoutMs = timeoutMs;
        MaxAttempts = maxAttempts;
        Compression = compression;
    }

    /// <summary>The method's name on the wire.</summary>
    public string Name { get; }

    /// <summary>The method's position in its service descriptor.</summary>
    public int Index { get; }

    /// <summary>Whether the method may run more than once for one call.</summary>
    public bool Idempotent { get; }

    /// <summary>Per-attempt timeout in milliseconds, or 0 for the client's.</summary>
    public int TimeoutMs { get; }

    /// <summary>Maximum attempts, or 0 for the client's.</summary>
    public int MaxAttempts { get; }

    /// <summary>Whether the method's bodies are compressed whatever the client and node say (<see cref="MaculaMethodAttribute.Compression"/>).</summary>
    public MethodCompression Compression { get; }

    // Set by generated code for methods that return IAsyncEnumerable<T> (docs/wire-protocol.md, Streams).

    /// <summary>Whether the method is a server stream (returns <c>IAsyncEnumerable&lt;T&gt;</c>): it is opened, not called.</summary>
    public bool Streaming { get; init; }

    /// <summary>
    /// Whether the client streams items to the provider (the method takes an <c>IAsyncEnumerable&lt;T&gt;</c>): a client
    /// stream, or with <see cref="Streaming"/> a duplex stream. It is opened, not called.
    /// </summary>
    public bool ClientStreaming { get; init; }

    /// <summary>
    /// Whether the method is one-way (<see cref="MaculaMethodAttribute.OneWay"/>): the provider acknowledges the call
    /// before the implementation finishes, and the call is never retried once it may have been delivered.
    /// </summary>
    public bool OneWay { get; init; }

    /// <summary>
    /// The method's contract fingerprint (8 hex digits over its wire name, required parameter types and result type;
    /// docs/rpc-semantics.md, "Contract fingerprints"), advertised in the provider record: a client calls only
    /// providers whose fingerprint for the method is the same. <see langword="null"/> for a descriptor made without one,
    /// which is never checked.
    /// </summary>
    public string? Fingerprint { get; init; }
}
