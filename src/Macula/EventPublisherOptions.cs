namespace Macula;

/// <summary>How a publisher made by <see cref="MaculaNode.CreatePublisher{TContract}(EventPublisherOptions?)"/> publishes.</summary>
public sealed record EventPublisherOptions
{
    /// <summary>A publisher with no metadata and no filters of its own.</summary>
    public static EventPublisherOptions Default { get; } = new();

    /// <summary>
    /// Metadata sent with every event of this publisher (copied per publish, so filters may change their copy), as
    /// <c>Macula-Meta-*</c> headers with the limits of a call's metadata (docs/wire-protocol.md, "Metadata").
    /// <see langword="null"/> (the default) for none.
    /// </summary>
    public MaculaMetadata? Metadata { get; init; }

    /// <summary>Event filters this publisher runs after (inside) the node's <see cref="MaculaNodeOptions.EventFilters"/>. Default: none.</summary>
    public IReadOnlyList<IMaculaEventFilter> Filters { get; init; } = [];

    internal void Validate()
    {
        FilterList.Validate(Filters, "EventPublisherOptions.Filters");
        if (Metadata is not null)
        {
            Validation.CheckMetadataSize(Metadata, "EventPublisherOptions.Metadata");
        }
    }
}
