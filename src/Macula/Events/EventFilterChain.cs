namespace Macula.Events;

/// <summary>Builds the chain of event filters around a publish or a handling, the first registered outermost.</summary>
internal static class EventFilterChain
{
    public static Func<EventPublishContext, ValueTask> Publish(IReadOnlyList<IMaculaEventFilter> filters, Func<EventPublishContext, ValueTask> send) =>
        FilterList.Chain(filters, send, static (filter, context, next) => filter.PublishAsync(context, next));

    public static Func<MaculaEventContext, ValueTask> Handle(IReadOnlyList<IMaculaEventFilter> filters, Func<MaculaEventContext, ValueTask> handler) =>
        FilterList.Chain(filters, handler, static (filter, context, next) => filter.HandleAsync(context, next));
}
