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

    private readonly ConcurrentDictionary<string, LocalCall> _localReplies = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async ValueTask<TransportMessage> CallAsync(MaculaHeaders headers, ReadOnlyMemory<byte> body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new MaculaTransportException(TransportErrorKind.NoResponders, $"The local provider of '{_service.Name}' has stopped.", notDelivered: true);
        }

        string replyTo = LocalReplyPrefix + (headers[WireProtocol.CallIdHeader] ?? CallIds.New());
        var call = new LocalCall();
        _localReplies[replyTo] = call;
        try
        {
            // Admitted and served as a message from the bus would be: the same load shedding, server filters, deadline
            // and metadata (a failure inside is reported as one is, and the call then times out as a remote one would).
            Admit(new TransportMessage(Subject, replyTo, headers, body.ToArray()));
            try
            {
                return await call.Reply.Task.WaitAsync(timeout.TotalMilliseconds > int.MaxValue ? Timeout.InfiniteTimeSpan : timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new MaculaTransportException(TransportErrorKind.Timeout, $"The local provider of '{_service.Name}' did not answer within {timeout.TotalMilliseconds:0} ms.");
            }
        }
        finally
        {
            _localReplies.TryRemove(new(replyTo, call));
        }
    }

    /// <summary>
    /// Called by an admitted call before it runs: when it is a local call waiting for its reply (and not a one-way call,
    /// whose acknowledgement must release the caller while the implementation still runs), its reply is held until
    /// <see cref="CompleteLocal"/>, so the caller goes on only once the provider's bookkeeping is done.
    /// </summary>
    private LocalCall? DeferLocal(TransportMessage message, MethodDescriptor method)
    {
        if (!IsLocalReply(message.ReplyTo!) || !_localReplies.TryGetValue(message.ReplyTo!, out var call))
        {
            return null;
        }

        if (method.OneWay)
        {
            // Acknowledged while the implementation runs on: the caller goes on on the pool, not inside this call.
            call.OnPool = true;
            return null;
        }

        call.Deferred = true;
        return call;
    }

    /// <summary>
    /// Hands a deferred local call its reply, after the provider's slot, in-flight entry and stats are done with. The
    /// caller's continuation may run right here, on this thread: nothing of the provider's call is left to do. With
    /// <paramref name="onTrampoline"/>, the local calls that continuation makes run on this thread after it
    /// (<see cref="LocalTrampoline"/>).
    /// </summary>
    private static void CompleteLocal(LocalCall? call, bool onTrampoline)
    {
        if (call?.Held is not { } reply)
        {
            return;
        }

        if (onTrampoline)
        {
            LocalTrampoline.Complete(static s => s.Call.Reply.TrySetResult(s.Reply), (Call: call, Reply: reply));
        }
        else
        {
            call.Reply.TrySetResult(reply);
        }
    }

    /// <summary>Whether <paramref name="replyTo"/> is a local call's reply subject (no bus subject can be).</summary>
    private static bool IsLocalReply(string replyTo) => replyTo.StartsWith(LocalReplyPrefix, StringComparison.Ordinal);

    /// <summary>Completes the local call waiting on <paramref name="replyTo"/>, if it is one: true when it was.</summary>
    private bool TryReplyLocally(string replyTo, MaculaHeaders headers, ReadOnlyMemory<byte> body)
    {
        if (!IsLocalReply(replyTo))
        {
            return false;
        }

        if (_localReplies.TryGetValue(replyTo, out var waiting))
        {
            var reply = new TransportMessage(replyTo, null, headers, body.ToArray());
            if (waiting.Deferred)
            {
                waiting.Held = reply;
            }
            else if (waiting.OnPool)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.Call.Reply.TrySetResult(s.Reply), (Call: waiting, Reply: reply), preferLocal: false);
            }
            else
            {
                waiting.Reply.TrySetResult(reply);
            }
        }

        return true;
    }

    /// <summary>
    /// One local call waiting for its reply. Its completion runs the caller's continuation synchronously: it is only
    /// ever completed where nothing else is left to run (<see cref="CompleteLocal"/>), from a reply path that returns
    /// at once (a refusal before the call ran), or on the pool (a one-way call's acknowledgement).
    /// </summary>
    private sealed class LocalCall
    {
        public TaskCompletionSource<TransportMessage> Reply { get; } = new();

        /// <summary>Whether the reply waits in <see cref="Held"/> until the admitted call has finished.</summary>
        public bool Deferred { get; set; }

        public TransportMessage? Held { get; set; }

        /// <summary>Whether the reply is handed over on the thread pool: the acknowledgement of a one-way call.</summary>
        public bool OnPool { get; set; }
    }
}
