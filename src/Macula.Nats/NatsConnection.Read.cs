using System.Buffers;
using Macula.Nats.Internal;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    /// <summary>
    /// Reads frames until the link fails. Messages are copied out of the read buffer and handed to their
    /// subscription's queue, so a slow handler never holds up the socket.
    /// </summary>
    private async Task ReadLoopAsync(NatsLink link)
    {
        var reader = link.Reader;
        NatsEventKind kind = NatsEventKind.Disconnected;
        string reason;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(link.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (NatsParser.TryParse(ref buffer, MessageLimit(link), out var frame))
                {
                    if (!Dispatch(link, in frame))
                    {
                        return;
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (buffer.IsEmpty)
                    {
                        reason = "the server closed the connection.";
                    }
                    else
                    {
                        kind = NatsEventKind.ProtocolError;
                        reason = $"the server closed the connection in the middle of a frame ({buffer.Length} bytes of it were received: '{NatsParser.Printable(buffer.Slice(0, Math.Min(buffer.Length, 48)))}').";
                    }

                    break;
                }
            }
        }
        catch (NatsProtocolException e)
        {
            kind = NatsEventKind.ProtocolError;
            reason = "protocol error: " + e.Message;
            error = e;
        }
        catch (NatsServerErrorException e)
        {
            kind = NatsEventKind.ServerError;
            reason = e.Message;
            error = e;
        }
        catch (OperationCanceledException) when (link.Token.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            reason = $"reading failed: {e.Message}";
            error = e;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        OnLinkFailed(link, kind, reason, error);
    }

    // The server never delivers more than its max_payload (headers included); a little slack tolerates a cluster
    // whose members disagree slightly, while a size field that is plainly a lie still fails fast.
    private static int MessageLimit(NatsLink link) => (int)Math.Min(int.MaxValue, (long)link.Info.MaxPayload + 64 * 1024);

    /// <summary>Handles one frame; returns false when the link is no longer current.</summary>
    private bool Dispatch(NatsLink link, in NatsFrame frame)
    {
        if (!link.Active)
        {
            return false;
        }

        switch (frame.Op)
        {
            case NatsOp.Msg:
            case NatsOp.HMsg:
                OnMessage(link, in frame);
                break;
            case NatsOp.Ping:
                lock (_gate)
                {
                    if (link.Active)
                    {
                        NatsWriter.WritePong(_outbox.Control);
                        _outbox.Signal();
                    }
                }

                break;
            case NatsOp.Pong:
                OnPong(link);
                break;
            case NatsOp.Info:
                OnInfo(link, frame.Info!);
                break;
            case NatsOp.Err:
                OnServerError(link, frame.Error ?? string.Empty);
                break;
            case NatsOp.Ok:
                break;
        }

        return true;
    }

    private void OnMessage(NatsLink link, in NatsFrame frame)
    {
        if (frame.Sid == Volatile.Read(ref _inboxSid))
        {
            OnReply(in frame);
            return;
        }

        if (!_subscriptions.TryGetValue(frame.Sid, out var subscription))
        {
            // A message that was in flight when its subscription ended.
            return;
        }

        var message = CreateMessage(in frame, out _);
        bool reachedMax = subscription.Deliver(message, out bool dropped);
        if (dropped)
        {
            Report(NatsEventKind.SlowConsumer, $"The handler of the subscription to '{subscription.Subject}' is {NatsSubscription.PendingLimit} messages behind; messages on '{message.Subject}' are being dropped until it catches up.", link.Server.Url);
        }

        if (reachedMax)
        {
            // The server normally removed it already; after a reconnect its count restarted, so say it explicitly
            // (an UNSUB for a subscription the server no longer has is ignored).
            lock (_gate)
            {
                if (_subscriptions.TryRemove(subscription.Sid, out _) && link.Active)
                {
                    NatsWriter.WriteUnsubscribe(_outbox.Control, subscription.Sid);
                    _outbox.Signal();
                }
            }

            subscription.Complete(drain: true);
        }
    }

    /// <summary>Copies a message out of the read buffer, so it belongs to whoever receives it.</summary>
    private static TransportMessage CreateMessage(in NatsFrame frame, out int status)
    {
        status = 0;
        MaculaHeaders? headers = null;
        if (frame.Op == NatsOp.HMsg && !frame.Headers.IsEmpty)
        {
            if (frame.Headers.IsSingleSegment)
            {
                headers = NatsHeaderCodec.Decode(frame.Headers.FirstSpan, out status);
            }
            else
            {
                byte[] rented = ArrayPool<byte>.Shared.Rent((int)frame.Headers.Length);
                try
                {
                    frame.Headers.CopyTo(rented);
                    headers = NatsHeaderCodec.Decode(rented.AsSpan(0, (int)frame.Headers.Length), out status);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }

        byte[] payload = frame.Payload.IsEmpty ? [] : frame.Payload.ToArray();
        return new TransportMessage(frame.Subject!, frame.ReplyTo, headers, payload);
    }

    private void OnInfo(NatsLink link, ServerInfo info)
    {
        link.Info = info;
        Volatile.Write(ref _maxPayload, info.MaxPayload);
        AddDiscoveredServers(link, info);
        if (info.LameDuckMode)
        {
            Report(NatsEventKind.LameDuckMode, $"{link.Server.Url} entered lame duck mode and will close soon.", link.Server.Url);
        }
    }

    private void OnServerError(NatsLink link, string error)
    {
        Report(NatsEventKind.ServerError, $"{link.Server.Url} sent -ERR '{error}'.", link.Server.Url);

        // These refuse one operation and leave the connection open; every other -ERR is followed by the server
        // closing the connection, so the client moves on at once instead of waiting for the close.
        if (error.StartsWith("Permissions Violation", StringComparison.OrdinalIgnoreCase) ||
            error.StartsWith("Invalid Subject", StringComparison.OrdinalIgnoreCase) ||
            error.StartsWith("Invalid Publish Subject", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        throw new NatsServerErrorException($"the server sent -ERR '{error}'.");
    }

    private sealed class NatsServerErrorException(string message) : Exception(message);
}
