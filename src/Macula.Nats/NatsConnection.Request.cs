using System.Collections.Concurrent;
using System.Globalization;
using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    private readonly string _inboxPrefix;
    private readonly ConcurrentDictionary<long, PendingRequest> _requests = new();
    private long _inboxSid = -1;
    private long _nextRequestId;

    /// <summary>
    /// Publishes a request with a reply subject under this connection's one wildcard inbox subscription, and waits
    /// for the first reply, a no-responders status, the loss of the connection, or the timeout.
    /// </summary>
    public async ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        NatsSubject.ValidatePublish(subject, nameof(subject));
        cancellationToken.ThrowIfCancellationRequested();
        if (timeout <= TimeSpan.Zero)
        {
            timeout = _options.RequestTimeout;
        }

        int headerLength = HeaderLength(headers);
        long id = Interlocked.Increment(ref _nextRequestId);
        var pending = new PendingRequest(subject);
        lock (_gate)
        {
            EnsureInboxLocked();

            // A request made while reconnecting is sent on the next connection, so only that one's loss fails it.
            pending.Generation = _state == NatsConnectionState.Connected ? _generation : _generation + 1;
            EnqueuePublishLocked(subject, _inboxPrefix + id.ToString(CultureInfo.InvariantCulture), headers, headerLength, payload.Span);
            _requests[id] = pending;
        }

        try
        {
            return await pending.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new MaculaTransportException(TransportErrorKind.Timeout, string.Create(CultureInfo.InvariantCulture, $"No reply to the request on '{subject}' within {timeout.TotalMilliseconds:0} ms."));
        }
        finally
        {
            _requests.TryRemove(id, out _);
        }
    }

    private void EnsureInboxLocked()
    {
        if (_inboxSid >= 0 || _state == NatsConnectionState.Closed)
        {
            return;
        }

        var inbox = new NatsSubscription(this, ++_nextSid, _inboxPrefix + "*", null, null);
        _subscriptions[inbox.Sid] = inbox;
        Volatile.Write(ref _inboxSid, inbox.Sid);
        if (_state == NatsConnectionState.Connected)
        {
            NatsWriter.WriteSubscribe(_outbox.Control, inbox.Subject, null, inbox.Sid);
            _outbox.Signal();
        }
    }

    private void OnReply(in NatsFrame frame)
    {
        string subject = frame.Subject!;
        if (!subject.StartsWith(_inboxPrefix, StringComparison.Ordinal) ||
            !long.TryParse(subject.AsSpan(_inboxPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long id) ||
            !_requests.TryGetValue(id, out var pending))
        {
            // A reply that came after its request timed out or was cancelled.
            return;
        }

        var message = CreateMessage(in frame, out int status);
        if (status == NatsHeaderCodec.NoResponders && frame.Payload.IsEmpty)
        {
            pending.TrySetException(new MaculaTransportException(TransportErrorKind.NoResponders, $"No responders are subscribed to '{pending.Subject}' (NATS status 503); the request was not delivered."));
            return;
        }

        pending.TrySetResult(message);
    }

    /// <summary>Fails the requests that may have been sent on a connection up to <paramref name="generation"/>.</summary>
    private void FailRequests(long generation, TransportErrorKind kind, string message)
    {
        foreach (var entry in _requests)
        {
            if (entry.Value.Generation <= generation)
            {
                entry.Value.TrySetException(new MaculaTransportException(kind, message));
            }
        }
    }

    private sealed class PendingRequest(string subject) : TaskCompletionSource<TransportMessage>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public string Subject { get; } = subject;

        public long Generation { get; set; }
    }
}
