using System.Collections.Concurrent;
using Macula.Discovery;
using Macula.Transport;

namespace Macula.Rpc.Server;

/// <summary>
/// The local fast path of a provider: a client of the same node hands it a call directly (<see cref="LocalProviders"/>).
/// The call runs through the same admission and dispatch as one from the bus (load shedding, draining, method and
/// deadline checks, server filters, metadata both ways, the server span, stats, cancel messages by call id); only the
/// two hops over the transport are gone. Arguments and reply stay
/// serialized MessagePack, copied on the way in and out, so the handler and the caller never share an object.
/// </summary>
internal sealed partial class ProviderHost : ILocalProvider
{
    // A reply subject no bus message can carry (subjects have no spaces): replies to it complete a local call instead.
    private const string LocalReplyPrefix = "local reply ";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<TransportMessage>> _localReplies = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async ValueTask<TransportMessage> CallAsync(MaculaHeaders headers, ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new MaculaTransportException(TransportErrorKind.NoResponders, $"The local provider of '{_service.Name}' has stopped.", notDelivered: true);
        }

        string replyTo = LocalReplyPrefix + (headers[WireProtocol.CallIdHeader] ?? Guid.NewGuid().ToString("N"));
        var reply = new TaskCompletionSource<TransportMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _localReplies[replyTo] = reply;
        try
        {
            // Admitted and served as a message from the bus would be: the same load shedding, server filters, deadline
            // and metadata (a failure inside is reported as one is, and the call then times out as a remote one would).
            Admit(new TransportMessage(Subject, replyTo, headers, body.ToArray()));
            try
            {
                return await reply.Task.WaitAsync(timeout.TotalMilliseconds > int.MaxValue ? Timeout.InfiniteTimeSpan : timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new MaculaTransportException(TransportErrorKind.Timeout, $"The local provider of '{_service.Name}' did not answer within {timeout.TotalMilliseconds:0} ms.");
            }
        }
        finally
        {
            _localReplies.TryRemove(new(replyTo, reply));
        }
    }

    /// <summary>Completes the local call waiting on <paramref name="replyTo"/>, if it is one: true when it was.</summary>
    private bool TryReplyLocally(string replyTo, MaculaHeaders headers, ReadOnlyMemory<byte> body)
    {
        if (!replyTo.StartsWith(LocalReplyPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (_localReplies.TryGetValue(replyTo, out var waiting))
        {
            waiting.TrySetResult(new TransportMessage(replyTo, null, headers, body.ToArray()));
        }

        return true;
    }
}
