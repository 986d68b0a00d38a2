namespace Macula;

/// <summary>
/// Runs around the events a node publishes (<see cref="PublishAsync"/>) and around each event its subscriptions
/// handle (<see cref="HandleAsync"/>): Macula's filters for events, as <see cref="IMaculaClientFilter"/> and
/// <see cref="IMaculaServerFilter"/> are for calls. Both methods have a default body that only calls <c>next</c>, so a
/// filter implements the side it cares about. Filters run in registration order, the first outermost: the node's
/// (<see cref="MaculaNodeOptions.EventFilters"/>), then the publisher's (<see cref="EventPublisherOptions.Filters"/>)
/// or the subscription's (<see cref="EventSubscriptionOptions.Filters"/>). See docs/events.md, "Filters and metadata".
/// </summary>
public interface IMaculaEventFilter
{
    /// <summary>
    /// Runs around one publish, before anything is sent. A filter may add or remove
    /// <see cref="EventPublishContext.Metadata"/> before <paramref name="next"/>. Throwing ends the publish with that
    /// exception and nothing is sent; returning without calling <paramref name="next"/> is a bug the publish reports
    /// with an <see cref="InvalidOperationException"/>.
    /// </summary>
    ValueTask PublishAsync(EventPublishContext context, Func<EventPublishContext, ValueTask> next) => next(context);

    /// <summary>
    /// Runs around the handling of one received event; <paramref name="context"/> is <see cref="MaculaEventContext.Current"/>.
    /// Returning without calling <paramref name="next"/> skips the handler: the event is dropped on purpose, counted
    /// in <c>macula.events.dropped</c> with reason <c>filtered</c> and not reported. An exception is reported as a
    /// handler's is, and the next event is still delivered.
    /// </summary>
    ValueTask HandleAsync(MaculaEventContext context, Func<MaculaEventContext, ValueTask> next) => next(context);
}
