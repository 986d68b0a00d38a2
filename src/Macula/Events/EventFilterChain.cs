namespace Macula.Events;

/// <summary>Builds the chain of event filters around a publish or a handling, the first registered outermost.</summary>
internal static class EventFilterChain
{
    public static Func<EventPublishContext, ValueTask> Publish(IReadOnlyList<IMaculaEventFilter> filters, Func<EventPublishContext, ValueTask> send)
    {
        var chain = send;
        for (int i = filters.Count - 1; i >= 0; i--)
        {
            var filter = filters[i];
            var next = chain;
            chain = context => filter.PublishAsync(context, next);
        }

        return chain;
    }

    public static Func<MaculaEventContext, ValueTask> Handle(IReadOnlyList<IMaculaEventFilter> filters, Func<MaculaEventContext, ValueTask> handler)
    {
        var chain = handler;
        for (int i = filters.Count - 1; i >= 0; i--)
        {
            var filter = filters[i];
            var next = chain;
            chain = context => filter.HandleAsync(context, next);
        }

        return chain;
    }
}
