namespace Macula;

/// <summary>One call as client filters see it (<see cref="IMaculaClientFilter.InvokeAsync"/>).</summary>
public sealed class ClientCallContext
{
    private Dictionary<string, object?>? _items;

    internal ClientCallContext(string service, string method, bool idempotent, MaculaMetadata requestMetadata, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        Service = service;
        Method = method;
        Idempotent = idempotent;
        RequestMetadata = requestMetadata;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The service's wire name.</summary>
    public string Service { get; }

    /// <summary>The method's wire name.</summary>
    public string Method { get; }

    /// <summary>Whether the method may run more than once (failover and hedging).</summary>
    public bool Idempotent { get; }

    /// <summary>The metadata to send (a copy per call of <see cref="CallOptions.Metadata"/>): filters may add and remove entries before <c>next</c>.</summary>
    public MaculaMetadata RequestMetadata { get; }

    /// <summary>The metadata of the provider's reply, once one came (after <c>next</c>); null before, or when none came.</summary>
    public MaculaMetadata? ResponseMetadata { get; internal set; }

    /// <summary>When the whole call must be done (discovery and every attempt), or null for none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>The caller's token (linked with the ambient call's when the deadline propagates).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The attempts that failed so far, in order.</summary>
    public IReadOnlyList<MaculaAttempt> FailedAttempts { get; internal set; } = [];

    /// <summary>
    /// A result that ends the call without calling <c>next</c>: the method's result type (a boxed value), or
    /// <see langword="null"/> for a method without a result. Set <see cref="HasResult"/> by setting this.
    /// </summary>
    public object? Result
    {
        get;
        set
        {
            field = value;
            HasResult = true;
        }
    }

    /// <summary>Whether a filter set <see cref="Result"/>.</summary>
    public bool HasResult { get; private set; }

    /// <summary>A bag for filters to hand values to each other during this call.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>(StringComparer.Ordinal);
}
