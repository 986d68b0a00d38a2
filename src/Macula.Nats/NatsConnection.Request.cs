using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks.Sources;
using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    /// <summary>Idle request states kept for reuse; beyond this many, finished ones are dropped.</summary>
    private const int PendingPoolLimit = 256;

    private readonly string _inboxPrefix;

    /// <summary>Requests in flight by id; also the lock for <see cref="_pendingPool"/>. Taken after <see cref="_gate"/>, never before.</summary>
    private readonly Dictionary<long, PendingRequest> _requests = [];
    private readonly Stack<PendingRequest> _pendingPool = new();
    private long _inboxSid = -1;
    private long _nextRequestId;

    /// <summary>
    /// Publishes a request with a reply subject under this connection's one wildcard inbox subscription, and waits
    /// for the first reply, a no-responders status, the loss of the connection, the timeout or cancellation.
    /// </summary>
    /// <remarks>
    /// The hot path of every RPC, so it allocates little: the reply subject is formatted into the frame directly, and
    /// the wait is a pooled <see cref="IValueTaskSource{TResult}"/> with its own reusable timer, not a
    /// <see cref="TaskCompletionSource{TResult}"/> with <c>WaitAsync(timeout)</c> and an async state machine.
    /// </remarks>
    public ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        NatsSubject.ValidatePublish(subject, nameof(subject));
        cancellationToken.ThrowIfCancellationRequested();
        if (timeout <= TimeSpan.Zero)
        {
            timeout = _options.RequestTimeout;
        }

        int headerLength = HeaderLength(headers);
        long id = Interlocked.Increment(ref _nextRequestId);
        var pending = RentPending();
        pending.Prepare(id, subject, timeout, cancellationToken);
        Span<char> replyTo = stackalloc char[_inboxPrefix.Length + 20];
        _inboxPrefix.CopyTo(replyTo);
        id.TryFormat(replyTo[_inboxPrefix.Length..], out int digits, default, CultureInfo.InvariantCulture);
        try
        {
            lock (_gate)
            {
                EnsureInboxLocked();

                // A request made while reconnecting is sent on the next connection, so only that one's loss fails it.
                pending.Generation = _state == NatsConnectionState.Connected ? _generation : _generation + 1;
                EnqueuePublishLocked(subject, replyTo[..(_inboxPrefix.Length + digits)], headers, headerLength, payload.Span);
                lock (_requests)
                {
                    _requests[id] = pending;
                }

                // Under the gate, so the writer cannot have sent the request yet: no reply can complete it before
                // its timer and cancellation are set up.
                pending.Arm();
            }
        }
        catch
        {
            ReturnPending(pending);
            throw;
        }

        return new ValueTask<TransportMessage>(pending, pending.Version);
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
            TakeRequest(id) is not { } pending)
        {
            // A reply that came after its request timed out or was cancelled.
            return;
        }

        var message = CreateMessage(in frame, out int status);
        if (status == NatsHeaderCodec.NoResponders && frame.Payload.IsEmpty)
        {
            pending.Fail(new MaculaTransportException(TransportErrorKind.NoResponders, $"No responders are subscribed to '{pending.Subject}' (NATS status 503); the request was not delivered."));
            return;
        }

        pending.Succeed(message);
    }

    /// <summary>Removes the request <paramref name="id"/> from the table; whoever removes it completes it, exactly once.</summary>
    private PendingRequest? TakeRequest(long id)
    {
        lock (_requests)
        {
            return _requests.Remove(id, out var pending) ? pending : null;
        }
    }

    /// <summary>Fails the requests that may have been sent on a connection up to <paramref name="generation"/>.</summary>
    private void FailRequests(long generation, TransportErrorKind kind, string message)
    {
        List<PendingRequest>? failed = null;
        lock (_requests)
        {
            foreach (var (id, pending) in _requests)
            {
                if (pending.Generation <= generation)
                {
                    (failed ??= []).Add(pending);
                }
            }

            if (failed is not null)
            {
                foreach (var pending in failed)
                {
                    _requests.Remove(pending.Id);
                }
            }
        }

        if (failed is not null)
        {
            foreach (var pending in failed)
            {
                pending.Fail(new MaculaTransportException(kind, message));
            }
        }
    }

    private PendingRequest RentPending()
    {
        lock (_requests)
        {
            if (_pendingPool.TryPop(out var pending))
            {
                return pending;
            }
        }

        return new PendingRequest(this);
    }

    private void ReturnPending(PendingRequest pending)
    {
        pending.Clear();
        lock (_requests)
        {
            if (_pendingPool.Count < PendingPoolLimit)
            {
                _pendingPool.Push(pending);
                return;
            }
        }

        pending.DisposeTimer();
    }

    /// <summary>
    /// One request's wait, reused across requests. Completion is decided by who takes the id out of the request table
    /// (reply, timeout, cancellation or connection loss); the loser does nothing. The timer and the cancellation
    /// callback of an earlier use can still fire late, so each checks that the request it sees is its own.
    /// </summary>
    private sealed class PendingRequest : IValueTaskSource<TransportMessage>
    {
        private readonly NatsConnection _owner;
        private readonly ITimer _timer;
        private ManualResetValueTaskSourceCore<TransportMessage> _core = new() { RunContinuationsAsynchronously = true };
        private CancellationToken _cancellationToken;
        private CancellationTokenRegistration _cancellation;
        private TimeSpan _timeout;
        private long _deadline;
        private long _id;

        public PendingRequest(NatsConnection owner)
        {
            _owner = owner;
            _timer = TimeProvider.System.CreateTimer(static state => ((PendingRequest)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public long Id => Volatile.Read(ref _id);

        public string Subject { get; private set; } = string.Empty;

        public long Generation { get; set; }

        public short Version => _core.Version;

        public void Prepare(long id, string subject, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Subject = subject;
            _timeout = timeout;
            _cancellationToken = cancellationToken;
            Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));

            // Written last: a late callback that reads this id also sees this request's deadline and token.
            Volatile.Write(ref _id, id);
        }

        /// <summary>Starts the timeout and listens for cancellation, once the request is in the table.</summary>
        public void Arm()
        {
            _timer.Change(_timeout, Timeout.InfiniteTimeSpan);
            if (_cancellationToken.CanBeCanceled)
            {
                _cancellation = _cancellationToken.UnsafeRegister(static state => ((PendingRequest)state!).OnCancelled(), this);
            }
        }

        public void Succeed(TransportMessage message)
        {
            Disarm();
            _core.SetResult(message);
        }

        public void Fail(Exception exception)
        {
            Disarm();
            _core.SetException(exception);
        }

        public void Clear()
        {
            Subject = string.Empty;
            _cancellationToken = default;
            _cancellation = default;
            Volatile.Write(ref _id, 0);
            _core.Reset();
        }

        public void DisposeTimer() => _timer.Dispose();

        public TransportMessage GetResult(short token)
        {
            bool current = token == _core.Version;
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                // Only the one consumer of this use returns it; a misuse (awaited twice) must not pool it twice.
                if (current)
                {
                    _owner.ReturnPending(this);
                }
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        private void Disarm()
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

            // Unregister does not wait for a callback that is running: that callback loses the race for the id.
            _cancellation.Unregister();
        }

        private void OnTimer()
        {
            long id = Id;
            if (id == 0)
            {
                // Fired for an earlier use of this object, now idle.
                return;
            }

            long early = Volatile.Read(ref _deadline) - Stopwatch.GetTimestamp();
            if (early > 0)
            {
                // Fired for an earlier use of this object, or a little before this request's deadline (the timer's
                // clock is coarser): wait for the rest, so the current request still times out.
                _timer.Change(TimeSpan.FromSeconds((double)early / Stopwatch.Frequency) + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
                return;
            }

            if (_owner.TakeRequest(id) is { } pending)
            {
                pending.Fail(new MaculaTransportException(TransportErrorKind.Timeout, string.Create(CultureInfo.InvariantCulture, $"No reply to the request on '{pending.Subject}' within {pending._timeout.TotalMilliseconds:0} ms.")));
            }
        }

        private void OnCancelled()
        {
            long id = Id;
            var token = _cancellationToken;
            if (id == 0 || !token.IsCancellationRequested)
            {
                // An earlier use's token: this request's own was not cancelled.
                return;
            }

            if (_owner.TakeRequest(id) is { } pending)
            {
                pending.Fail(new OperationCanceledException(token));
            }
        }
    }
}
