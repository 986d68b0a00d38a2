using Macula.Security;

namespace Macula.Events;

/// <summary>
/// Counts dropped events and handler failures (every one, in <see cref="MaculaDiagnostics"/>) and reports them to the
/// node at most ten a second each, so a flood of bad messages cannot flood the log.
/// </summary>
internal sealed class EventReports(EventEndpoint endpoint)
{
    private readonly LogThrottle _dropped = new(perSecond: 10);
    private readonly LogThrottle _failed = new(perSecond: 10);

    /// <summary>Counts a dropped event by reason; reports it when <paramref name="what"/> is not null (an unknown event is normal evolution, not news).</summary>
    public void Dropped(string contract, string subject, string reason, string? what)
    {
        MaculaDiagnostics.EventsDropped.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Contract, contract), new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Reason, reason));
        if (what is not null && _dropped.TryTake(endpoint.Time.GetUtcNow()))
        {
            endpoint.OnBadMessage(subject, what);
        }
    }

    public void HandlerFailed(string contract, string eventName, Exception exception)
    {
        MaculaDiagnostics.EventHandlerErrors.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Contract, contract), new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Event, eventName));
        if (_failed.TryTake(endpoint.Time.GetUtcNow()))
        {
            endpoint.OnHandlerError($"handling the event {contract}.{eventName}", exception);
        }
    }
}
