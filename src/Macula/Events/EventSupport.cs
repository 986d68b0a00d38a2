using System.ComponentModel;

namespace Macula.Events;

/// <summary>Small helpers generated event dispatchers call, kept in the runtime so every contract shares one copy.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class EventSupport
{
    /// <summary>The handler's task as a <see cref="ValueTask"/>; a handler that returned a null task fails with a clear message.</summary>
    public static ValueTask Handled(Task task) => task is null
        ? ValueTask.FromException(new InvalidOperationException("The event handler returned a null Task; return a completed task instead (for example Task.CompletedTask)."))
        : new ValueTask(task);

    /// <summary>The exception a dispatcher throws for an event that is not one of its contract's.</summary>
    public static InvalidOperationException UnknownEvent(string contractName, EventDescriptor @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return new InvalidOperationException($"The event contract '{contractName}' has no event '{@event.Name}' at index {@event.Index}: the descriptor belongs to another contract.");
    }
}
