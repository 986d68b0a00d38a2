namespace Macula;

/// <summary>How a subscription to an event contract receives its events.</summary>
public sealed record EventSubscriptionOptions
{
    /// <summary>Every event of the contract, to this subscriber, one handler at a time in arrival order.</summary>
    public static EventSubscriptionOptions Default { get; } = new();

    /// <summary>
    /// A queue group: each event goes to one member of the group instead of to every subscriber (a NATS queue group).
    /// Every group, and every subscriber without a group, gets its own copy. Groups live in the realm, as the events'
    /// subjects do. Letters, digits, <c>-</c>, <c>_</c> and <c>.</c>; <see langword="null"/> (the default) for none.
    /// </summary>
    public string? Group { get; init; }

    /// <summary>
    /// How many events of this subscription may be handled at once (default 1). With 1, handlers run one at a time,
    /// so events from one publisher are handled in the order it published them; with more, they may overlap and finish
    /// out of order. When every slot is busy, the subscription stops taking events from the transport until one frees.
    /// </summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>
    /// The events to receive, by wire name (the method name without its <c>Async</c> suffix unless
    /// <c>[MaculaMethod(Name = ...)]</c> says otherwise); <see langword="null"/> (the default) for every event of the contract.
    /// One event is subscribed by its own subject; several are picked out of the contract's, so the order and
    /// one-at-a-time rules hold across them.
    /// </summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>Event filters this subscription runs around its handler, after (inside) the node's <see cref="MaculaNodeOptions.EventFilters"/>. Default: none.</summary>
    public IReadOnlyList<IMaculaEventFilter> Filters { get; init; } = [];

    internal void Validate()
    {
        FilterList.Validate(Filters, "EventSubscriptionOptions.Filters");
        if (MaxConcurrency < 1 || MaxConcurrency > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, $"EventSubscriptionOptions.MaxConcurrency is {MaxConcurrency}; it must be between 1 and 65536.");
        }

        if (Group is not null && !IsGroupName(Group))
        {
            throw new ArgumentException($"EventSubscriptionOptions.Group '{Group}' is not a valid group name: use letters, digits, '-', '_' and single dots.", nameof(Group));
        }

        if (Events is { Count: 0 })
        {
            throw new ArgumentException("EventSubscriptionOptions.Events is empty: name at least one event, or leave it null for every event of the contract.", nameof(Events));
        }
    }

    private static bool IsGroupName(string name)
    {
        if (name.Length == 0 || name.Length > 256 || name[0] == '.' || name[^1] == '.' || name.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
