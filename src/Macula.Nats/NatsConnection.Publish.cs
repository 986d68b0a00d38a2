using System.Globalization;
using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    /// <summary>Past this many bytes waiting for the socket, a publisher waits for the writer to catch up.</summary>
    private const int WriteHighWater = 4 * 1024 * 1024;

    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, MaculaHeaders? headers, string? replyTo, CancellationToken cancellationToken)
    {
        NatsSubject.ValidatePublish(subject, nameof(subject));
        if (replyTo is not null)
        {
            NatsSubject.ValidatePublish(replyTo, nameof(replyTo));
        }

        cancellationToken.ThrowIfCancellationRequested();
        int headerLength = HeaderLength(headers);
        Task? backpressure;
        lock (_gate)
        {
            EnqueuePublishLocked(subject, replyTo.AsSpan(), headers, headerLength, payload.Span);
            backpressure = _state == NatsConnectionState.Connected && _outbox.Publish.Length > WriteHighWater ? _outbox.WhenDrained() : null;
        }

        return backpressure is null ? ValueTask.CompletedTask : new ValueTask(backpressure.WaitAsync(cancellationToken));
    }

    private static int HeaderLength(MaculaHeaders? headers) => headers is { Count: > 0 } ? NatsHeaderCodec.GetEncodedLength(headers) : 0;

    /// <summary>Appends a PUB or HPUB, or throws why it cannot be sent. Call under <see cref="_gate"/>.</summary>
    private void EnqueuePublishLocked(string subject, ReadOnlySpan<char> replyTo, MaculaHeaders? headers, int headerLength, ReadOnlySpan<byte> payload)
    {
        switch (_state)
        {
            case NatsConnectionState.Closed:
                throw Closed();
            case NatsConnectionState.Idle:
                throw new MaculaTransportException(TransportErrorKind.NotSent, $"The message to '{subject}' was not sent: the NATS transport is not connected (call ConnectAsync first).");
        }

        int size = headerLength + payload.Length;
        if (size > _maxPayload)
        {
            throw new MaculaTransportException(
                TransportErrorKind.PayloadTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"The message to '{subject}' is {size} bytes ({payload.Length} bytes of payload, {headerLength} bytes of headers), more than the server's max_payload of {_maxPayload} bytes; it was not sent."));
        }

        if (_state == NatsConnectionState.Reconnecting)
        {
            int frame = NatsWriter.GetPublishLength(subject, replyTo, headerLength, payload.Length);
            int buffered = _outbox.Publish.Length;
            if ((long)buffered + frame > _options.ReconnectBufferSize)
            {
                throw new MaculaTransportException(
                    TransportErrorKind.NotSent,
                    string.Create(CultureInfo.InvariantCulture, $"The message to '{subject}' was not sent: the NATS transport is reconnecting and its reconnect buffer holds {buffered} of {_options.ReconnectBufferSize} bytes (ReconnectBufferSize), too full for {frame} more."));
            }
        }

        NatsWriter.WritePublish(_outbox.Publish, subject, replyTo, headers, headerLength, payload);
        _outbox.Signal();
    }

    private async Task WriteLoopAsync(NatsLink link)
    {
        try
        {
            await _outbox.RunAsync(link.Stream, () => link.Active, link.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (link.Token.IsCancellationRequested)
        {
            // Torn down by whoever cancelled.
        }
        catch (Exception e)
        {
            OnLinkFailed(link, NatsEventKind.Disconnected, $"writing failed: {e.Message}", e);
        }
    }
}
