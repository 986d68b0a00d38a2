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

    /// <summary>
    /// Ends <paramref name="subscription"/> without losing what the server routed to it before the end: the UNSUB goes
    /// out, messages that still arrive are delivered until the server has confirmed it (a PING answered, at most
    /// <see cref="UnsubscribeConfirmTimeout"/>), then delivery ends and the handler gets what is already queued. A
    /// request routed to a provider just before it unsubscribed is answered, not dropped: its sender would otherwise
    /// wait out its timeout instead of failing over at once on no-responders.
    /// </summary>
    public async ValueTask UnsubscribeAsync(NatsSubscription subscription)
    {
        bool confirm = false;
        lock (_gate)
        {
            if (_subscriptions.ContainsKey(subscription.Sid))
            {
                if (_state == NatsConnectionState.Connected)
                {
                    subscription.Ending = true;
                    NatsWriter.WriteUnsubscribe(_outbox.Control, subscription.Sid);
                    _outbox.Signal();
                    confirm = true;
                }
                else
                {
                    _subscriptions.TryRemove(subscription.Sid, out _);
                }
            }
        }

        if (confirm)
        {
            try
            {
                await FlushAsync(UnsubscribeConfirmTimeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (MaculaTransportException)
            {
                // Disconnected, closed or slow meanwhile: a lost connection takes the subscription with it anyway.
            }

            lock (_gate)
            {
                _subscriptions.TryRemove(subscription.Sid, out _);
            }
        }

        subscription.Complete(drain: true);
    }

    private TimeSpan UnsubscribeConfirmTimeout => _options.ConnectTimeout < TimeSpan.FromSeconds(2) ? _options.ConnectTimeout : TimeSpan.FromSeconds(2);

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
