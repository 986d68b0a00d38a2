using System.Buffers;
using Macula.Nats.Protocol;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats.Requests;

/// <summary>
/// The one reply subscription of a transport (<c>_INBOX.&lt;nuid&gt;.*</c>): every request's reply subject is this
/// prefix and the request's id. A subclass of NATS.Client.Core's <see cref="NatsSubBase"/> so that a reply is read
/// straight from the socket reader's buffers into its waiter, without a channel or a message copy in between.
/// </summary>
internal sealed class ReplyInbox : NatsSubBase
{
    private readonly ReplyTable _table;
    private readonly string _prefix;
    private readonly NatsTransport _owner;
    private readonly List<Coalescing.BatchFrames.Frame> _frames = [];
    private readonly System.Text.Encoding _headerEncoding;

    public ReplyInbox(INatsConnection connection, string prefix, ReplyTable table, NatsTransport owner)
        : base(connection, connection.SubscriptionManager, prefix + "*", queueGroup: null, opts: null)
    {
        _prefix = prefix;
        _table = table;
        _owner = owner;
        _headerEncoding = connection.Opts.HeaderEncoding;
    }

    /// <summary>The reply subject of a batch of requests (<c>b&lt;id&gt;</c>): only the server's no-responders status comes to it.</summary>
    public string BatchSubject(long batch) => string.Concat(_prefix, "b", batch.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The reply subject of request <paramref name="id"/>.</summary>
    public string ReplySubject(long id)
    {
        int digits = 1;
        for (long rest = id / 10; rest > 0; rest /= 10)
        {
            digits++;
        }

        return string.Create(_prefix.Length + digits, (_prefix, id), static (span, state) =>
        {
            state._prefix.AsSpan().CopyTo(span);
            state.id.TryFormat(span[state._prefix.Length..], out _, default, System.Globalization.CultureInfo.InvariantCulture);
        });
    }

    protected override ValueTask ReceiveInternalAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer)
    {
        if (subject.Length > _prefix.Length && subject[_prefix.Length] == 'b')
        {
            ReceiveBatch(subject, headersBuffer, payloadBuffer);
            return default;
        }

        if (subject.Length <= _prefix.Length || !long.TryParse(subject.AsSpan(_prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id))
        {
            return default;
        }

        var pending = _table.TryRemove(id);
        if (pending is null)
        {
            // Late: the request timed out, was cancelled or was failed by a lost connection.
            return default;
        }

        try
        {
            var headers = ReadHeaders(headersBuffer, out int status);
            if (status == 503 && payloadBuffer.Length == 0)
            {
                // The server's no-responders status, which NATS.Client.Core hands to the reply subscription.
                pending.Fail(new MaculaTransportException(TransportErrorKind.NoResponders, $"No responders: nobody is subscribed to '{pending.Subject}'; the request was not delivered."));
                return default;
            }

            pending.Complete(new TransportMessage(subject, replyTo, headers, payloadBuffer.ToArray()));
        }
        catch (FormatException ex)
        {
            pending.Fail(new MaculaTransportException(TransportErrorKind.ProtocolError, $"The reply to the request on '{pending.Subject}' has malformed headers: {ex.Message}", ex));
        }

        return default;
    }

    /// <summary>
    /// A batch of replies (<c>batch</c>): each frame completes the request its subject names. Or the server's
    /// no-responders status to a batch of requests (<c>b&lt;id&gt;</c>): every call in it fails at once.
    /// </summary>
    private void ReceiveBatch(string subject, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer)
    {
        MaculaHeaders? headers;
        int status;
        try
        {
            headers = ReadHeaders(headersBuffer, out status);
        }
        catch (FormatException ex)
        {
            _owner.Report(NatsEventKind.BadBatch, $"A message on '{subject}' has malformed headers and was dropped: {ex.Message}", ex);
            return;
        }

        var token = subject.AsSpan(_prefix.Length);
        if (!token.SequenceEqual(Coalescing.BatchFrames.RepliesToken))
        {
            if (status == 503 && long.TryParse(token[1..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long batch))
            {
                _owner.OnBatchNoResponders(batch);
            }

            return;
        }

        // The frames' payloads are slices of this one copy, as a single reply's payload is a copy of its own.
        var body = payloadBuffer.ToArray();
        if (Coalescing.BatchFrames.TryRead(body, headers?[Coalescing.BatchFrames.Header], _frames) is { } problem)
        {
            _owner.Report(NatsEventKind.BadBatch, $"A batch of replies on '{subject}' was dropped: {problem}.");
            return;
        }

        foreach (var frame in _frames)
        {
            if (frame.Subject.Length > _prefix.Length
                && frame.Subject.StartsWith(_prefix, StringComparison.Ordinal)
                && long.TryParse(frame.Subject.AsSpan(_prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id)
                && _table.TryRemove(id) is { } pending)
            {
                pending.Complete(new TransportMessage(frame.Subject, null, frame.Headers, frame.Payload));
            }
        }

        _frames.Clear();
    }

    protected override void TryComplete()
    {
    }

    /// <summary>Reads the header bytes itself (<see cref="RawHeaderParser"/>): no header dictionary, and Macula's own names and values are not new strings.</summary>
    private MaculaHeaders? ReadHeaders(ReadOnlySequence<byte>? buffer, out int status)
    {
        status = 0;
        return buffer is { } headers ? RawHeaderParser.Parse(headers, _headerEncoding, out status) : null;
    }
}
