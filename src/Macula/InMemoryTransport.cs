using System.Collections.Concurrent;
using System.Threading.Channels;
using Macula.Transport;

namespace Macula;

/// <summary>Faults to inject into one <see cref="InMemoryTransport"/>, for deterministic tests of every failure path.</summary>
public sealed class InMemoryFaults
{
    /// <summary>Messages to this transport's subscriptions are accepted but silently dropped: requests to it time out.</summary>
    public bool DropIncoming { get; set; }

    /// <summary>Delivery to this transport's subscriptions is delayed by this much.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>This transport's subscriptions are invisible: requests to it fail at once with no responders.</summary>
    public bool NoResponders { get; set; }

    /// <summary>This transport can neither send nor receive: its requests time out and nothing reaches it.</summary>
    public bool Partitioned { get; set; }

    /// <summary>
    /// Limits the faults to messages whose subject matches this pattern (NATS wildcards), for example
    /// <c>macula.*.rpc.&gt;</c> to fault RPC calls but not discovery; <see langword="null"/> (the default) faults every subject.
    /// </summary>
    public string? Subjects { get; set; }

    internal bool AppliesTo(string subject) => Subjects is not { } pattern || SubjectMatcher.Matches(pattern, subject);

    /// <summary>Clears every fault.</summary>
    public void Clear()
    {
        Subjects = null;
        DropIncoming = false;
        Delay = TimeSpan.Zero;
        NoResponders = false;
        Partitioned = false;
    }
}

/// <summary>A transport on an <see cref="InMemoryNetwork"/>.</summary>
public sealed class InMemoryTransport : IMaculaTransport
{
    private readonly InMemoryNetwork _network;
    private readonly ConcurrentDictionary<long, PendingRequest> _pending = new();
    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();
    private readonly string _inboxPrefix;
    private readonly object _inboxGate = new();
    private Subscription? _inbox;
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
        var subscription = new Subscription(this, subject, queueGroup, handler);
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

    internal void Forget(Subscription subscription) => _subscriptions.TryRemove(subscription, out _);

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

            var inbox = new Subscription(this, _inboxPrefix + "*", null, OnReply);
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

/// <summary>
/// One subscription: a queue of messages drained in order by one loop. Disposing it waits until the loop has handed the
/// handler what was already queued, as the NATS transport's drain does.
/// </summary>
internal sealed class Subscription : IAsyncDisposable
{
    private static readonly AsyncLocal<Subscription?> Delivering = new();

    private readonly Channel<TransportMessage> _queue = Channel.CreateUnbounded<TransportMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly MessageHandler _handler;
    private readonly Task _pump;

    public Subscription(InMemoryTransport owner, string subject, string? queueGroup, MessageHandler handler)
    {
        Owner = owner;
        Subject = subject;
        QueueGroup = queueGroup;
        IsWildcard = SubjectMatcher.HasWildcard(subject);
        _handler = handler;
        _pump = Task.Run(PumpAsync);
    }

    public InMemoryTransport Owner { get; }

    public string Subject { get; }

    public string? QueueGroup { get; }

    public bool IsWildcard { get; }

    /// <summary>Queues a message; <see langword="false"/> when the subscription has closed and did not take it.</summary>
    public bool Deliver(TransportMessage message)
    {
        var faults = Owner.Faults;
        bool faulted = faults.AppliesTo(message.Subject);
        if (faulted && faults.DropIncoming)
        {
            return true;
        }

        if (faulted && faults.Delay > TimeSpan.Zero)
        {
            _ = DeliverLaterAsync(message, faults.Delay);
            return true;
        }

        return _queue.Writer.TryWrite(message);
    }

    public void Close()
    {
        Owner.Forget(this);
        Owner.Network.Remove(this);
        _queue.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        Close();

        // A handler that disposes its own subscription must not wait for itself.
        if (Delivering.Value != this)
        {
            await _pump.ConfigureAwait(false);
        }
    }

    private async Task DeliverLaterAsync(TransportMessage message, TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        _queue.Writer.TryWrite(message);
    }

    private async Task PumpAsync()
    {
        Delivering.Value = this;
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                try
                {
                    await _handler(message).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // A handler's failure must not stop delivery to this subscription; handlers report their own errors.
                }
            }
        }
    }
}
