using System.ComponentModel;
using MessagePack.Formatters;

namespace Macula.Events;

/// <summary>Publishes the events of one contract; the generated publisher proxy calls it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMaculaEventPublisher
{
    /// <summary>
    /// Writes <paramref name="arguments"/> with <paramref name="argumentsFormatter"/> and publishes them as
    /// <paramref name="event"/>; completes when the transport has taken the message (at-most-once delivery).
    /// </summary>
    ValueTask PublishAsync<TArgs>(EventDescriptor @event, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken);
}
