namespace Macula;

/// <summary>One publish as event filters see it (<see cref="IMaculaEventFilter.PublishAsync"/>).</summary>
public sealed class EventPublishContext
{
    private Dictionary<string, object?>? _items;

    internal EventPublishContext(string contract, string @event, MaculaMetadata metadata, CancellationToken cancellationToken)
    {
        Contract = contract;
        Event = @event;
        Metadata = metadata;
        CancellationToken = cancellationToken;
    }

    /// <summary>The event contract's wire name.</summary>
    public string Contract { get; }

    /// <summary>The event's wire name.</summary>
    public string Event { get; }

    /// <summary>
    /// The metadata to send with the event (a copy per publish of <see cref="EventPublisherOptions.Metadata"/>):
    /// filters may add and remove entries before <c>next</c>. Subscribers read it in
    /// <see cref="MaculaEventContext.Metadata"/>.
    /// </summary>
    public MaculaMetadata Metadata { get; }

    /// <summary>The publisher's token.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>A bag for filters to hand values to each other during this publish.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>(StringComparer.Ordinal);
}
