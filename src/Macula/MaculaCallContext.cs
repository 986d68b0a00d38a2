namespace Macula;

/// <summary>
/// The call a provider is serving, read inside the implementation (and server filters) through
/// <see cref="Current"/>: who called what, until when, with which metadata, and a token that fires when the call
/// should stop. A call the implementation makes to another Macula service passes this call's remaining deadline and
/// its cancellation on (<see cref="CallOptions.PropagateDeadline"/>).
/// </summary>
public sealed class MaculaCallContext
{
    private static readonly AsyncLocal<MaculaCallContext?> Ambient = new();

    private readonly TimeProvider _time;
    private MaculaMetadata? _requestMetadata;
    private MaculaMetadata? _responseMetadata;
    private Dictionary<string, object?>? _items;

    internal MaculaCallContext(string service, string method, string callId, string? callerNodeId, int attempt, DateTimeOffset? deadline, MaculaMetadata? requestMetadata, CancellationToken cancellationToken, TimeProvider time)
    {
        Service = service;
        Method = method;
        CallId = callId;
        CallerNodeId = callerNodeId;
        Attempt = attempt;
        Deadline = deadline;
        _requestMetadata = requestMetadata;
        CancellationToken = cancellationToken;
        _time = time;
    }

    /// <summary>
    /// The call being served on this async flow, or <see langword="null"/> outside a handler. Set only around the
    /// implementation and the server filters; restored when they return.
    /// </summary>
    public static MaculaCallContext? Current => Ambient.Value;

    /// <summary>The service's wire name.</summary>
    public string Service { get; }

    /// <summary>The method's wire name.</summary>
    public string Method { get; }

    /// <summary>The call's id (the same on every attempt of one call).</summary>
    public string CallId { get; }

    /// <summary>
    /// The caller's node id as its request header <c>Macula-Caller</c> claims it: not verified (RPC requests are not
    /// signed), so never a basis for authorization; use a credential in <see cref="RequestMetadata"/> for that.
    /// <see langword="null"/> when the caller sent none.
    /// </summary>
    public string? CallerNodeId { get; }

    /// <summary>Which attempt of the call this is: 1 for the first, 2 for the first failover, ...</summary>
    public int Attempt { get; }

    /// <summary>
    /// When the call must be done, on this node's clock (the time the request arrived plus the budget the caller
    /// sent), or <see langword="null"/> for no deadline.
    /// </summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>The time left until <see cref="Deadline"/> (zero once past it), or <see langword="null"/> for no deadline.</summary>
    public TimeSpan? RemainingTime => Deadline is { } d ? (d - _time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero) : null;

    /// <summary>The metadata the caller sent.</summary>
    public MaculaMetadata RequestMetadata => _requestMetadata ??= new MaculaMetadata();

    /// <summary>Metadata to send back with the reply (ok or error); the client sees it in its filters and <see cref="CallOptions.OnResponseMetadata"/>.</summary>
    public MaculaMetadata ResponseMetadata => _responseMetadata ??= new MaculaMetadata();

    /// <summary>
    /// Fires when the caller cancels, the deadline passes, or the provider stops, also for methods without a
    /// <see cref="System.Threading.CancellationToken"/> parameter (the implementation's own token is this one).
    /// </summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>A bag for server filters and the implementation to hand values to each other during this call.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The response metadata if anything was added, else <see langword="null"/> (no allocation).</summary>
    internal MaculaMetadata? ResponseMetadataOrNull => _responseMetadata is { Count: > 0 } m ? m : null;

    /// <summary>A result a server filter set instead of running the implementation (<see cref="SetResult{T}"/>).</summary>
    internal Action<System.Buffers.IBufferWriter<byte>, MessagePack.MessagePackSerializerOptions>? ShortCircuit { get; private set; }

    /// <summary>
    /// Answers the call with <paramref name="value"/> without running the implementation: for a server filter that
    /// does not call <c>next</c> (a cache, for example). <typeparamref name="T"/> must be the method's result type; its
    /// formatter comes from the node's resolvers.
    /// </summary>
    public void SetResult<T>(T value) =>
        ShortCircuit = (output, options) => Serialization.MaculaSerializer.Serialize(output, value, MessagePack.FormatterResolverExtensions.GetFormatterWithVerify<T>(options.Resolver), options);

    /// <summary>Makes <paramref name="context"/> current on this async flow; returns what was current before.</summary>
    internal static MaculaCallContext? Enter(MaculaCallContext? context)
    {
        var previous = Ambient.Value;
        Ambient.Value = context;
        return previous;
    }
}
