using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    /// <summary>
    /// Registers a subscription. It is sent now when connected, or when a connection is established; either way
    /// it is part of every later connection until it ends.
    /// </summary>
    public NatsSubscription Subscribe(string subject, string? queueGroup, MessageHandler handler)
    {
        SubjectMatcher.Validate(subject, allowWildcards: true);
        ArgumentNullException.ThrowIfNull(handler);
        if (queueGroup is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(queueGroup);
            foreach (char c in queueGroup)
            {
                if (c <= ' ' || c == 0x7f)
                {
                    throw new ArgumentException($"Queue group '{queueGroup}' contains whitespace or a control character.", nameof(queueGroup));
                }
            }
        }

        lock (_gate)
        {
            if (_state == NatsConnectionState.Closed)
            {
                throw Closed();
            }

            var subscription = new NatsSubscription(this, ++_nextSid, subject, queueGroup, handler);
            _subscriptions[subscription.Sid] = subscription;
            if (_state == NatsConnectionState.Connected)
            {
                NatsWriter.WriteSubscribe(_outbox.Control, subject, queueGroup, subscription.Sid);
                _outbox.Signal();
            }

            return subscription;
        }
    }

    /// <summary>Ends <paramref name="subscription"/> at once; messages still queued for it are dropped.</summary>
    public ValueTask UnsubscribeAsync(NatsSubscription subscription)
    {
        lock (_gate)
        {
            if (_subscriptions.TryRemove(subscription.Sid, out _) && _state == NatsConnectionState.Connected)
            {
                NatsWriter.WriteUnsubscribe(_outbox.Control, subscription.Sid);
                _outbox.Signal();
            }
        }

        subscription.Complete(drain: false);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Ends <paramref name="subscription"/> after it has received <paramref name="maxMessages"/> messages in total
    /// (counted from when it was made, as the server counts); at once if it already has.
    /// </summary>
    public void UnsubscribeAfter(NatsSubscription subscription, long maxMessages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        bool endNow = false;
        lock (_gate)
        {
            if (!_subscriptions.ContainsKey(subscription.Sid))
            {
                return;
            }

            subscription.MaxMessages = maxMessages;
            long delivered = subscription.Delivered;
            if (delivered >= maxMessages)
            {
                _subscriptions.TryRemove(subscription.Sid, out _);
                endNow = true;
            }

            if (_state == NatsConnectionState.Connected)
            {
                NatsWriter.WriteUnsubscribe(_outbox.Control, subscription.Sid, endNow ? 0 : maxMessages);
                _outbox.Signal();
            }
        }

        if (endNow)
        {
            subscription.Complete(drain: true);
        }
    }

    /// <summary>The subjects of the live subscriptions, the inbox included (for diagnostics and tests).</summary>
    internal IReadOnlyList<string> SubscriptionSubjects()
    {
        var subjects = new List<string>();
        foreach (var subscription in _subscriptions.Values)
        {
            subjects.Add(subscription.Subject);
        }

        return subjects;
    }
}
