using System.Collections.Concurrent;
using Macula.Transport;

namespace Macula.Transport.InMemory;

/// <summary>A transport on an <see cref="InMemoryNetwork"/>.</summary>
public sealed class InMemoryTransport : IMaculaTransport
{
    private readonly InMemoryNetwork _network;
    private readonly ConcurrentDictionary<long, PendingRequest> _pending = new();
    private readonly ConcurrentDictionary<InMemorySubscription, byte> _subscriptions = new();
    private readonly string _inboxPrefix;
    private readonly object _inboxGate = new();
    private InMemorySubscription? _inbox;
    private long _nextRequestId;
    private volatile bool _closed;

    internal InMemoryTransport(InMemoryNetwork network, int id)
    {
        _network = network;
        Id = id;
        _inboxPrefix = $"_INBOX.mem{id}.";
    }

    /// <summary>A number that identifies this transport on its network.</summary>
    public int Id { get; }

    /// <summary>The faults currently injected into this transport.</summary>
    public InMemoryFaults Faults { get; } = new();

    /// <inheritdoc />
    public int MaxPayload => _network.MaxPayload;

    internal bool IsClosed => _closed;

    internal InMemoryNetwork Network => _network;

    /// <inheritdoc />
    public ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, string? replyTo = null, CancellationToken cancellationToken = default)
    {
        SubjectMatcher.Validate(subject, allowWildcards: false);
        ThrowIfClosed();
        CheckSize(subject, payload.Length, headers);
        _network.Route(this, new TransportMessage(subject, replyTo, headers?.Copy(), payload.ToArray()));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IAsyncDisposable> SubscribeAsync(string subject, MessageHandler handler, string? queueGroup = null, CancellationToken cancellationToken = default)
    {
        SubjectMatcher.Validate(subject, allowWildcards: true);
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfClosed();
        var subscription = new InMemorySubscription(this, subject, queueGroup, handler);
        _subscriptions.TryAdd(subscription, 0);
        _network.Add(subscription);
        return ValueTask.FromResult<IAsyncDisposable>(subscription);
    }

    /// <inheritdoc />
    public async ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        SubjectMatcher.Validate(subject, allowWildcards: false);
        ThrowIfClosed();
        CheckSize(subject, payload.Length, headers);
        cancellationToken.ThrowIfCancellationRequested();
        EnsureInbox();

        long id = Interlocked.Increment(ref _nextRequestId);
        var tcs = new TaskCompletionSource<TransportMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = new PendingRequest(tcs, subject);
        try
        {
            string replyTo = _inboxPrefix + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            int routed = _network.Route(this, new TransportMessage(subject, replyTo, headers?.Copy(), payload.ToArray()));
            if (routed == 0 && !(Faults.Partitioned && Faults.AppliesTo(subject)))
            {
                throw new MaculaTransportException(TransportErrorKind.NoResponders, $"No responders are subscribed to '{subject}'.");
            }

            try
            {
                return await tcs.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new MaculaTransportException(TransportErrorKind.Timeout, $"No reply from '{subject}' within {timeout.TotalMilliseconds:0} ms.");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Simulates a crash of the process behind this transport: its subscriptions vanish at once (callers see no
    /// responders) and its own requests in flight fail with a lost connection.
    /// </summary>
    public void Kill()
    {
        _ = DisposeCoreAsync(TransportErrorKind.ConnectionLost);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DisposeCoreAsync(TransportErrorKind.Closed);

    private ValueTask DisposeCoreAsync(TransportErrorKind kind)
    {
        if (_closed)
        {
            return ValueTask.CompletedTask;
        }

        _closed = true;
        foreach (var s in _subscriptions.Keys)
        {
            s.Close();
        }

        // A request still waiting may have reached a subscriber.
        foreach (var pending in _pending.Values)
        {
            pending.Reply.TrySetException(new MaculaTransportException(kind, kind == TransportErrorKind.ConnectionLost
                ? $"The connection was lost while the request on '{pending.Subject}' was waiting for its reply; it may have been delivered."
                : $"The transport was closed while the request on '{pending.Subject}' was waiting for its reply; it may have been delivered.", notDelivered: false));
        }

        return ValueTask.CompletedTask;
    }

    internal void Forget(InMemorySubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    private void EnsureInbox()
    {
        if (_inbox is not null)
        {
            return;
        }

        lock (_inboxGate)
        {
            if (_inbox is not null)
            {
                return;
            }

            var inbox = new InMemorySubscription(this, _inboxPrefix + "*", null, OnReply);
            _subscriptions.TryAdd(inbox, 0);
            _network.Add(inbox);
            _inbox = inbox;
        }
    }

    private ValueTask OnReply(TransportMessage message)
    {
        var suffix = message.Subject.AsSpan(_inboxPrefix.Length);
        if (long.TryParse(suffix, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id) &&
            _pending.TryGetValue(id, out var pending))
        {
            pending.Reply.TrySetResult(message);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Counts the headers as a NATS server does, so a message that fits here fits on NATS too.</summary>
    private void CheckSize(string subject, int payloadLength, MaculaHeaders? headers)
    {
        int size = payloadLength + (headers?.WireLength ?? 0);
        if (size > MaxPayload)
        {
            throw new MaculaTransportException(TransportErrorKind.PayloadTooLarge, $"The message to '{subject}' is {size} bytes (payload and headers), over the maximum payload of {MaxPayload} bytes; it was not sent.");
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new MaculaTransportException(TransportErrorKind.Closed, "The in-memory transport is closed.");
        }
    }

    private readonly record struct PendingRequest(TaskCompletionSource<TransportMessage> Reply, string Subject);
}
