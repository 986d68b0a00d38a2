using System.Collections.Concurrent;
using Macula.Transport;

namespace Macula.Discovery;

/// <summary>
/// A provider of this node that a client of the same node can call in-process (the local fast path): it takes the
/// request as the transport would deliver it (headers and the serialized arguments) and answers with the reply
/// message the transport would bring back (status headers and the serialized result).
/// </summary>
internal interface ILocalProvider
{
    /// <summary>Serves one call; the reply owns its payload.</summary>
    /// <exception cref="MaculaTransportException">
    /// <see cref="TransportErrorKind.NoResponders"/> when the provider has stopped (not delivered),
    /// <see cref="TransportErrorKind.Timeout"/> when no reply came within <paramref name="timeout"/>.
    /// </exception>
    ValueTask<TransportMessage> CallAsync(MaculaHeaders headers, ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>
/// The providers of this node by subject, which providers add while they serve and remove when they withdraw; clients
/// of the node look a chosen provider's subject up here before using the transport. Lock-free reads.
/// </summary>
internal sealed class LocalProviders
{
    private readonly ConcurrentDictionary<string, ILocalProvider> _bySubject = new(StringComparer.Ordinal);

    public void Add(string subject, ILocalProvider provider) => _bySubject[subject] = provider;

    public void Remove(string subject, ILocalProvider provider) => _bySubject.TryRemove(new(subject, provider));

    public ILocalProvider? Find(string subject) => _bySubject.GetValueOrDefault(subject);

    /// <summary>Whether no provider of this node is registered (then selection skips the look-ups).</summary>
    public bool IsEmpty => _bySubject.IsEmpty;
}
