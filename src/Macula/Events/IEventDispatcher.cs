using System.ComponentModel;
using MessagePack;

namespace Macula.Events;

/// <summary>Runs received events on a subscriber's implementation of an event contract; emitted by the generator.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IEventDispatcher
{
    /// <summary>
    /// Decodes the arguments of <paramref name="event"/> from <paramref name="arguments"/> (a MessagePack array) with
    /// <paramref name="options"/> and runs the handler. Decoding happens before the handler runs, so a
    /// <see cref="Serialization.MaculaSerializationException"/> thrown synchronously means the handler never saw the
    /// event; what the handler throws fails the returned task.
    /// </summary>
    ValueTask DispatchAsync(EventDescriptor @event, ReadOnlyMemory<byte> arguments, MessagePackSerializerOptions options, CancellationToken cancellationToken);
}
