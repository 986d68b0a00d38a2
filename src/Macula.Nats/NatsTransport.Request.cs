using System.Runtime.CompilerServices;
using Macula.Nats.Diagnostics;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>
/// Requests: a publish with a reply subject on the transport's one reply inbox, and a pooled waiter. Not
/// NATS.Client.Core's <c>RequestAsync</c>, which allocates about 2 KB per request and waits out its timeout when
/// the connection drops.
/// </summary>
public sealed partial class NatsTransport
{
    /// <inheritdoc />
    /// <remarks>
    /// A zero or negative <paramref name="timeout"/> means <see cref="NatsOptions.RequestTimeout"/>. A request made
    /// while the connection is down is sent once it is back (within the timeout and
    /// <see cref="NatsOptions.DisconnectedWait"/>); one sent before the connection dropped fails at once with
    /// <see cref="TransportErrorKind.ConnectionLost"/>.
    /// </remarks>
    public ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        SubjectMatcher.Validate(subject, allowWildcards: false);
        if (CheckSendable(subject, payload.Length, headers) is { } refused)
        {
            return ValueTask.FromException<TransportMessage>(refused);
        }

        if (Volatile.Read(ref _inbox) is not { } inbox)
        {
            return ValueTask.FromException<TransportMessage>(new MaculaTransportException(TransportErrorKind.NotSent, $"The request to '{subject}' was not sent: the transport has no reply inbox yet; call ConnectAsync first."));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (timeout <= TimeSpan.Zero)
        {
            timeout = _requestTimeout;
        }

        // A request made while the connection is down, before its loss was reported, belongs to the next connection.
        bool open = _connection.ConnectionState == NatsConnectionState.Open;
        int generation = Volatile.Read(ref _generation) + (!open && Volatile.Read(ref _current) is not null ? 1 : 0);
        var pending = _replies.Add(generation, subject, timeout);
        var reply = pending.Task;
        pending.Arm(cancellationToken);

        if (open && TryCoalesce(subject, pending, payload, headers, inbox))
        {
            return reply;
        }

        var natsHeaders = RentHeaders(headers);
        ValueTask publish;
        try
        {
            string replyTo = inbox.ReplySubject(pending.Id);
            publish = open
                ? _connection.PublishAsync(subject, payload, natsHeaders, replyTo, NatsRawSerializer<ReadOnlyMemory<byte>>.Default, cancellationToken: cancellationToken)
                : PublishWhileDisconnectedAsync(subject, payload, natsHeaders, replyTo, cancellationToken);
        }
        catch (Exception ex)
        {
            ReturnHeaders(natsHeaders);
            return Abandon(pending, reply, ex, subject);
        }

        if (publish.IsCompletedSuccessfully)
        {
            ReturnHeaders(natsHeaders);
            return reply;
        }

        return AwaitPublishThenReplyAsync(publish, natsHeaders, pending, reply, subject);
    }

    /// <summary>Sends a request with the default timeout (<see cref="NatsOptions.RequestTimeout"/>).</summary>
    public ValueTask<TransportMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, CancellationToken cancellationToken = default) =>
        RequestAsync(subject, payload, headers, TimeSpan.Zero, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TransportMessage> AwaitPublishThenReplyAsync(ValueTask publish, NatsHeaders? headers, Requests.PendingReply pending, ValueTask<TransportMessage> reply, string subject)
    {
        try
        {
            await publish.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReturnHeaders(headers);
            return await Abandon(pending, reply, ex, subject).ConfigureAwait(false);
        }

        ReturnHeaders(headers);
        return await reply.ConfigureAwait(false);
    }

    /// <summary>The publish failed, so nothing was written: the request ends with the publish's error, unless it already ended.</summary>
    private ValueTask<TransportMessage> Abandon(Requests.PendingReply pending, ValueTask<TransportMessage> reply, Exception error, string subject)
    {
        if (_replies.TryRemove(pending.Id, pending))
        {
            pending.Fail(error is OperationCanceledException ? error : NatsErrors.Publish(error, subject));
        }

        return reply;
    }
}
