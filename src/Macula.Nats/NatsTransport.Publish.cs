using Macula.Nats.Diagnostics;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats;

/// <summary>Publishing: size checked against the server's max_payload first; while disconnected, a bounded wait.</summary>
public sealed partial class NatsTransport
{
    private readonly Stack<NatsHeaders> _headerPool = new();

    /// <inheritdoc />
    /// <remarks>
    /// While the connection is down, the publish waits up to <see cref="NatsOptions.DisconnectedWait"/> for it to come
    /// back, then fails with <see cref="TransportErrorKind.NotSent"/>: NATS.Client.Core writes nothing before that,
    /// so nothing is sent twice and nothing goes out late.
    /// </remarks>
    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers = null, string? replyTo = null, CancellationToken cancellationToken = default)
    {
        SubjectMatcher.Validate(subject, allowWildcards: false);
        if (CheckSendable(subject, payload.Length, headers) is { } refused)
        {
            return ValueTask.FromException(refused);
        }

        if (replyTo is null && TryCoalesceReply(subject, payload, headers))
        {
            return default;
        }

        var natsHeaders = RentHeaders(headers);
        ValueTask publish;
        try
        {
            publish = PublishRaw(subject, payload, natsHeaders, replyTo, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ReturnHeaders(natsHeaders);
            return ValueTask.FromException(NatsErrors.Publish(ex, subject));
        }

        if (publish.IsCompletedSuccessfully)
        {
            ReturnHeaders(natsHeaders);
            return default;
        }

        return AwaitPublishAsync(publish, natsHeaders, subject);
    }

    private async ValueTask AwaitPublishAsync(ValueTask publish, NatsHeaders? headers, string subject)
    {
        try
        {
            await publish.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw NatsErrors.Publish(ex, subject);
        }
        finally
        {
            ReturnHeaders(headers);
        }
    }

    /// <summary>Hands a message to NATS.Client.Core: at once while connected, else after at most <see cref="NatsOptions.DisconnectedWait"/> for the connection.</summary>
    private ValueTask PublishRaw(string subject, ReadOnlyMemory<byte> payload, NatsHeaders? headers, string? replyTo, CancellationToken cancellationToken) =>
        _connection.ConnectionState == NatsConnectionState.Open
            ? _connection.PublishAsync(subject, payload, headers, replyTo, NatsRawSerializer<ReadOnlyMemory<byte>>.Default, cancellationToken: cancellationToken)
            : PublishWhileDisconnectedAsync(subject, payload, headers, replyTo, cancellationToken);

    private async ValueTask PublishWhileDisconnectedAsync(string subject, ReadOnlyMemory<byte> payload, NatsHeaders? headers, string? replyTo, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_disconnectedWait);
        try
        {
            await _connection.PublishAsync(subject, payload, headers, replyTo, NatsRawSerializer<ReadOnlyMemory<byte>>.Default, cancellationToken: wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MaculaTransportException(TransportErrorKind.NotSent, $"The message to '{subject}' was not sent: the connection did not come back within DisconnectedWait ({_disconnectedWait.TotalMilliseconds:0} ms).");
        }
    }

    /// <summary>Why a message cannot go out at all, before anything is written; <see langword="null"/> when it can.</summary>
    private MaculaTransportException? CheckSendable(string subject, int payloadLength, MaculaHeaders? headers)
    {
        if (Volatile.Read(ref _disposed) != 0 || _connection.ConnectionState == NatsConnectionState.Failed)
        {
            return new MaculaTransportException(TransportErrorKind.Closed, $"The message to '{subject}' was not sent: the NATS transport is closed.");
        }

        if (Volatile.Read(ref _connectCalled) == 0)
        {
            return new MaculaTransportException(TransportErrorKind.NotSent, $"The message to '{subject}' was not sent: the transport is not connected; call ConnectAsync first.");
        }

        int max = MaxPayload;
        if (payloadLength > max || (headers is not null && payloadLength + headers.WireLength > max))
        {
            int size = payloadLength + (headers is null ? 0 : headers.WireLength);
            return new MaculaTransportException(TransportErrorKind.PayloadTooLarge, $"The message to '{subject}' is {size} bytes (payload and headers), over the server's max_payload of {max} bytes; it was not sent.");
        }

        return null;
    }

    private NatsHeaders? RentHeaders(MaculaHeaders? headers)
    {
        if (headers is null)
        {
            return null;
        }

        NatsHeaders? natsHeaders;
        lock (_headerPool)
        {
            _headerPool.TryPop(out natsHeaders);
        }

        natsHeaders ??= new NatsHeaders();
        HeaderMapping.CopyTo(headers, natsHeaders);
        return natsHeaders;
    }

    private void ReturnHeaders(NatsHeaders? headers)
    {
        if (headers is null)
        {
            return;
        }

        // NATS.Client.Core has written the header block out by the time the publish completes.
        headers.Clear();
        lock (_headerPool)
        {
            if (_headerPool.Count < 64)
            {
                _headerPool.Push(headers);
            }
        }
    }
}
