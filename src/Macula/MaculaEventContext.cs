namespace Macula;

/// <summary>
/// The event a subscription is handling, read inside the handler (and event filters) through <see cref="Current"/>:
/// which event of which contract, who claims to have published it, its metadata, and a token that fires when the
/// subscription stops.
/// </summary>
public sealed class MaculaEventContext
{
    private static readonly AsyncLocal<MaculaEventContext?> Ambient = new();

    private MaculaMetadata? _metadata;
    private Dictionary<string, object?>? _items;

    internal MaculaEventContext(string contract, string @event, string subject, string? publisherNodeId, string? group, MaculaMetadata? metadata, CancellationToken cancellationToken, object owner)
    {
        Owner = owner;
        Contract = contract;
        Event = @event;
        Subject = subject;
        PublisherNodeId = publisherNodeId;
        Group = group;
        _metadata = metadata;
        CancellationToken = cancellationToken;
    }

    /// <summary>
    /// The event being handled on this async flow, or <see langword="null"/> outside an event handler. Set only around
    /// the event filters and the handler; restored when they return.
    /// </summary>
    public static MaculaEventContext? Current => Ambient.Value;

    /// <summary>The event contract's wire name.</summary>
    public string Contract { get; }

    /// <summary>The event's wire name.</summary>
    public string Event { get; }

    /// <summary>The subject the event arrived on (<c>macula.&lt;realm&gt;.events.&lt;contract&gt;.&lt;event&gt;</c>).</summary>
    public string Subject { get; }

    /// <summary>
    /// The publisher's node id as its header <c>Macula-Publisher</c> claims it: not verified (events are not signed),
    /// so never a basis for authorization. <see langword="null"/> when the publisher sent none.
    /// </summary>
    public string? PublisherNodeId { get; }

    /// <summary>The subscription's queue group (<see cref="EventSubscriptionOptions.Group"/>), or <see langword="null"/>.</summary>
    public string? Group { get; }

    /// <summary>The metadata the publisher sent (empty when it sent none).</summary>
    public MaculaMetadata Metadata => _metadata ??= new MaculaMetadata();

    /// <summary>Fires when the subscription stops (it is disposed, or its node stops); the handler's own token is this one.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>A bag for event filters and the handler to hand values to each other while this event is handled.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The subscription handling the event (so it can tell that it is disposed from its own handler).</summary>
    internal object Owner { get; }

    /// <summary>Makes <paramref name="context"/> current on this async flow; returns what was current before.</summary>
    internal static MaculaEventContext? Enter(MaculaEventContext? context)
    {
        var previous = Ambient.Value;
        Ambient.Value = context;
        return previous;
    }
}
