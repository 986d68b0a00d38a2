using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Macula.Rpc.Server;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula.Rpc.Streaming;

/// <summary>
/// Serves one server stream on a provider: answers the open, pulls the implementation's items while the client's
/// window has room, sends each to the client's inbox, and ends with a status. The client's acknowledgements and
/// cancel arrive on a control subject of this stream's own. Both sides send heartbeats while quiet, and each gives up
/// on the other after the client's idle timeout.
/// </summary>
internal sealed class StreamingProvider
{
    private static readonly byte[] Nil = [MessagePackCode.Nil];

    private readonly ProviderRuntime _runtime;
    private readonly string _label;
    private readonly string _inbox;
    private readonly int _window;
    private readonly TimeSpan _idle;
    private readonly MethodCompression _compression;
    private readonly CancellationTokenSource _cts;
    private readonly StreamInput? _input;
    private readonly bool _resultOnly;
    private readonly bool _batching;
    private readonly CreditSignal _credit = new();
    private long _sent;

    // The last item handed to the transport, written before the publish: the client may acknowledge an item before
    // PublishAsync returns (a transport may deliver inline), so acknowledgements are bounded by this, not by _sent.
    private long _offered;
    private long _acked;
    private long _lastHeard;
    private long _lastSent;
    private volatile bool _idleExpired;

    private StreamingProvider(ProviderRuntime runtime, string label, string inbox, int window, TimeSpan idle, MethodCompression compression, CancellationTokenSource cts, StreamInput? input, bool resultOnly, bool batching)
    {
        _batching = batching;
        _input = input;
        _resultOnly = resultOnly;
        _runtime = runtime;
        _label = label;
        _inbox = inbox;
        _window = window;
        _idle = idle;
        _compression = compression;
        _cts = cts;
        _lastHeard = _lastSent = runtime.Time.GetTimestamp();
    }

    /// <summary>Serves the open request <paramref name="message"/> of <paramref name="method"/>, which passed the host's checks, until its stream ends.</summary>
    public static async Task ServeAsync(ProviderHost host, MethodDescriptor method, TransportMessage message)
    {
        var runtime = host.Runtime;
        var service = host.Service;
        string hostSubject = host.Subject;
        string replyTo = message.ReplyTo!;
        var headers = message.Headers;
        string label = $"{service.Name}.{method.Name}";
        if (!method.Streaming && !method.ClientStreaming)
        {
            await ReplyErrorAsync(runtime, replyTo, MaculaErrorCode.BadRequest, $"{label} on {runtime.NodeId} is not a stream: call it without the {StreamingProtocol.StreamHeader} header.").ConfigureAwait(false);
            return;
        }

        string? inbox = headers?[StreamingProtocol.InboxHeader];
        if (headers?[StreamingProtocol.StreamHeader] is null || !IsSubject(inbox))
        {
            runtime.Events.BadMessage(hostSubject, $"{label} is a stream but was called without {StreamingProtocol.StreamHeader} and a valid {StreamingProtocol.InboxHeader}");
            await ReplyErrorAsync(runtime, replyTo, MaculaErrorCode.BadRequest, $"{label} on {runtime.NodeId} is a stream: open it with the headers {StreamingProtocol.StreamHeader}: 1 and {StreamingProtocol.InboxHeader}: <subject> (docs/wire-protocol.md).").ConfigureAwait(false);
            return;
        }

        int window = StreamingProtocol.TryParse(headers![StreamingProtocol.WindowHeader], out long w) && w >= 1 ? (int)Math.Min(w, StreamingProtocol.MaxWindow) : StreamOptions.Default.Window;
        var idle = StreamingProtocol.TryParse(headers[StreamingProtocol.IdleHeader], out long ms) && ms > 0
            ? TimeSpan.FromMilliseconds(Math.Clamp(ms, 30, (long)TimeSpan.FromDays(1).TotalMilliseconds))
            : StreamingProtocol.DefaultIdle;

        ActivityContext.TryParse(headers[WireProtocol.TraceParentHeader], null, isRemote: true, out var parent);
        using var activity = MaculaDiagnostics.Source.StartActivity($"{service.Name}/{method.Name}", ActivityKind.Server, parent);
        if (activity is not null)
        {
            activity.SetTag(MaculaDiagnostics.Tags.RpcSystem, MaculaDiagnostics.Tags.RpcSystemValue);
            activity.SetTag(MaculaDiagnostics.Tags.RpcService, service.Name);
            activity.SetTag(MaculaDiagnostics.Tags.RpcMethod, method.Name);
            activity.SetTag(MaculaDiagnostics.Tags.NodeId, runtime.NodeId);
            activity.SetTag(MaculaDiagnostics.Tags.Stream, true);
        }

        string callId = headers[WireProtocol.CallIdHeader] ?? CallIds.New();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(runtime.Stopping);
        ServiceLease lease = default;
        IMaculaStreamSource? source = null;
        IAsyncDisposable? control = null;
        var input = method.ClientStreaming ? new StreamInput(runtime, label, inbox!, window, cts.Token) : null;
        host.InFlight[callId] = cts;
        try
        {
            try
            {
                lease = host.Activate();
                var arguments = WireProtocol.ReadBody(message, runtime.Options.MaxDecompressedBytes);
                source = input is null
                    ? lease.Dispatcher.OpenStream(method, arguments, runtime.SerializerOptions, cts.Token)
                    : lease.Dispatcher.OpenStream(method, arguments, input, runtime.SerializerOptions, cts.Token);
            }
            catch (MaculaSerializationException ex)
            {
                runtime.Events.BadMessage(hostSubject, ex.Message);
                await ReplyErrorAsync(runtime, replyTo, MaculaErrorCode.BadRequest, $"The arguments of {label} could not be decoded: {ex.Message}").ConfigureAwait(false);
                return;
            }
            catch (MaculaRpcException ex) when (ex.Code == MaculaErrorCode.MethodNotFound)
            {
                await ReplyErrorAsync(runtime, replyTo, MaculaErrorCode.MethodNotFound, ex.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                await PublishAsync(runtime, replyTo, MaculaErrorCode.ApplicationError.ToString(), WireProtocol.ApplicationErrorBody(ex, runtime.Options.IncludeErrorDetails), null).ConfigureAwait(false);
                return;
            }

            var stream = new StreamingProvider(runtime, label, inbox!, window, idle, method.Compression, cts, input, resultOnly: !method.Streaming, batching: headers[StreamingProtocol.BatchHeader] == "1");
            string controlSubject = Subjects.NewStream(runtime.Realm, runtime.NodeId);
            control = await runtime.Transport.SubscribeAsync(controlSubject, stream.OnControlAsync, cancellationToken: cts.Token).ConfigureAwait(false);
            await PublishAsync(runtime, replyTo, WireProtocol.StatusOk, Nil, controlSubject).ConfigureAwait(false);
            var run = source;
            source = null;
            await stream.RunAsync(run, activity).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            // The open could not be answered (the transport closed): nobody is left to tell.
            runtime.Events.BackgroundError($"opening the stream {label}", ex);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Cancelled while subscribing: the client or the node is gone.
        }
        finally
        {
            host.InFlight.TryRemove(new(callId, cts));
            if (control is not null)
            {
                await control.DisposeAsync().ConfigureAwait(false);
            }

            if (source is not null)
            {
                await DisposeSourceAsync(runtime, source, label).ConfigureAwait(false);
            }

            if (lease.Lifetime is not null)
            {
                await lease.Lifetime.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(IMaculaStreamSource source, Activity? activity)
    {
        var token = _cts.Token;
        using var quiet = new CancellationTokenSource();
        var keepAlive = KeepAliveAsync(quiet.Token);
        using var first = new PooledBufferWriter();
        using var second = new PooledBufferWriter();
        using var packed = new PooledBufferWriter();
        var output = first;
        var spare = second;
        ValueTask<bool>? carried = null;
        int batchBytes = Math.Min(StreamingProtocol.MaxBatchBytes, _runtime.Transport.MaxPayload / 2);

        // One set of item headers for every message: each publish is awaited before the next is filled.
        var headers = new MaculaHeaders(3);
        MaculaErrorCode? failure = null;
        ReadOnlyMemory<byte>? result = null;
        string? error = null;
        string? errorType = null;
        bool sending = false;
        try
        {
            while (true)
            {
                if (_sent - Volatile.Read(ref _acked) >= _window)
                {
                    await WaitForCreditAsync(token).ConfigureAwait(false);
                }

                bool more;
                if (carried is { } pull)
                {
                    // An item pulled while gathering the last batch (it had credit then) starts this one.
                    carried = null;
                    more = await pull.ConfigureAwait(false);
                    (output, spare) = (spare, output);
                }
                else
                {
                    output.Clear();
                    more = await source.MoveNextAsync(output).ConfigureAwait(false);
                }

                if (!more)
                {
                    break;
                }

                if (_resultOnly)
                {
                    // A client stream's one value is its result: it travels in the end message.
                    result = output.WrittenMemory;
                    break;
                }

                // Items the implementation has ready now, while the window has room, share one message; a pull that
                // would wait is carried to the next message, so a batch never waits for a slow producer.
                int count = 1;
                bool last = false;
                while (_batching && count < StreamingProtocol.MaxBatchItems && _sent + count - Volatile.Read(ref _acked) < _window)
                {
                    spare.Clear();
                    var next = source.MoveNextAsync(spare);
                    if (!next.IsCompletedSuccessfully)
                    {
                        // Pending, or failed: the items before are sent first.
                        carried = next;
                        break;
                    }

                    if (!next.Result)
                    {
                        last = true;
                        break;
                    }

                    if (output.WrittenCount + spare.WrittenCount > batchBytes)
                    {
                        // Too big for this batch: it starts the next one.
                        carried = new ValueTask<bool>(true);
                        break;
                    }

                    output.Write(spare.WrittenSpan);
                    count++;
                }

                long seq = _sent + 1;
                StreamingProtocol.ItemMessage(headers, seq, count, output.WrittenMemory, packed, _runtime.Options.Compression, _compression, out var item);

                sending = true;
                Volatile.Write(ref _offered, seq + count - 1);
                await _runtime.Transport.PublishAsync(_inbox, item, headers).ConfigureAwait(false);
                sending = false;
                Volatile.Write(ref _sent, seq + count - 1);
                Volatile.Write(ref _lastSent, _runtime.Time.GetTimestamp());
                if (last)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            failure = _idleExpired ? MaculaErrorCode.Timeout : MaculaErrorCode.Cancelled;
            error = _idleExpired
                ? $"{_label} on {_runtime.NodeId} heard nothing from its client for {_idle.TotalMilliseconds:0} ms and stopped."
                : $"{_label} on {_runtime.NodeId} was cancelled.";
        }
        catch (MaculaTransportException ex) when (sending && ex.Kind == TransportErrorKind.PayloadTooLarge)
        {
            failure = MaculaErrorCode.PayloadTooLarge;
            error = $"Item {_sent + 1} of {_label} is larger than the transport's maximum payload: {ex.Message}";
        }
        catch (MaculaTransportException ex) when (sending)
        {
            // The items cannot reach the client any more; neither can an end message.
            failure = MaculaErrorCode.ConnectionLost;
            error = ex.Message;
        }
        catch (Exception ex)
        {
            failure = MaculaErrorCode.ApplicationError;
            bool details = _runtime.Options.IncludeErrorDetails;
            error = details ? ex.Message : WireProtocol.WithheldMessage;
            errorType = details ? ex.GetType().FullName : null;
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
        }
        finally
        {
            quiet.Cancel();
            await keepAlive.ConfigureAwait(false);

            // The implementation has finished (its finally blocks ran) before the client hears the end.
            await DisposeSourceAsync(_runtime, source, _label).ConfigureAwait(false);
            _input?.Complete();
        }

        if (failure == MaculaErrorCode.ConnectionLost)
        {
            return;
        }

        var endHeaders = new MaculaHeaders(2);
        string status = failure?.ToString() ?? WireProtocol.StatusOk;
        endHeaders.Add(WireProtocol.StatusHeader, status);
        endHeaders.Add(StreamingProtocol.CountHeader, StreamingProtocol.Format(_sent));
        ReadOnlyMemory<byte> body = failure is { } code ? WireProtocol.ErrorBody(code, error!, errorType) : result ?? Nil;
        MaculaDiagnostics.ServerCalls.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Status, status));
        try
        {
            await _runtime.Transport.PublishAsync(_inbox, body, endHeaders).ConfigureAwait(false);
        }
        catch (MaculaTransportException)
        {
            // The client ends the stream at its idle timeout.
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForCreditAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            _credit.Arm();

            // Checked after arming: a grant either is seen here or completes the wait.
            if (_sent - Volatile.Read(ref _acked) < _window)
            {
                return;
            }

            await _credit.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask OnControlAsync(TransportMessage message)
    {
        Volatile.Write(ref _lastHeard, _runtime.Time.GetTimestamp());
        var headers = message.Headers;
        if (headers is null)
        {
            return default;
        }

        if (headers.TryGetValue(StreamingProtocol.CancelHeader, out _))
        {
            Cancel();
        }
        else if (headers.TryGetValue(StreamingProtocol.SeqHeader, out _) || headers.TryGetValue(WireProtocol.StatusHeader, out _))
        {
            // One of the client's items, or the end of them (client and duplex streams); a server stream ignores it.
            _input?.Deliver(message);
        }
        else if (StreamingProtocol.TryParse(headers[StreamingProtocol.AckHeader], out long ack))
        {
            // Cumulative and idempotent: a repeat, or an older acknowledgement arriving late, changes nothing. The
            // client cannot finish items it was never sent.
            StreamingProtocol.AdvanceTo(ref _acked, Math.Min(ack, Volatile.Read(ref _offered)));
            _credit.Signal();
        }

        return default;
    }

    private async Task KeepAliveAsync(CancellationToken quiet)
    {
        var period = _idle / 3;
        while (true)
        {
            try
            {
                await Task.Delay(period, _runtime.Time, quiet).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_runtime.Time.GetElapsedTime(Volatile.Read(ref _lastHeard)) >= _idle)
            {
                // The client is gone (it acknowledges or sends heartbeats at least every third of this).
                _idleExpired = true;
                Cancel();
                return;
            }

            if (_runtime.Time.GetElapsedTime(Volatile.Read(ref _lastSent)) >= period / 2)
            {
                try
                {
                    var heartbeat = StreamingProtocol.Single(StreamingProtocol.HeartbeatHeader, "1");
                    if (_input is not null)
                    {
                        // Repeats the credit granted for the client's items, which repairs a lost acknowledgement.
                        heartbeat.Add(StreamingProtocol.AckHeader, StreamingProtocol.Format(_input.Granted));
                    }

                    await _runtime.Transport.PublishAsync(_inbox, ReadOnlyMemory<byte>.Empty, heartbeat, cancellationToken: quiet).ConfigureAwait(false);
                    Volatile.Write(ref _lastSent, _runtime.Time.GetTimestamp());
                }
                catch (MaculaTransportException)
                {
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Cancel()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream finished meanwhile.
        }
    }

    private static async ValueTask DisposeSourceAsync(ProviderRuntime runtime, IMaculaStreamSource source, string label)
    {
        try
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            runtime.Events.BackgroundError($"disposing the stream {label}", ex);
        }
    }

    private static bool IsSubject(string? subject)
    {
        if (string.IsNullOrEmpty(subject))
        {
            return false;
        }

        try
        {
            SubjectMatcher.Validate(subject, allowWildcards: false);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static ValueTask ReplyErrorAsync(ProviderRuntime runtime, string replyTo, MaculaErrorCode code, string message) =>
        PublishAsync(runtime, replyTo, code.ToString(), WireProtocol.ErrorBody(code, message, null), null);

    private static async ValueTask PublishAsync(ProviderRuntime runtime, string replyTo, string status, ReadOnlyMemory<byte> body, string? controlSubject)
    {
        var headers = new MaculaHeaders(2);
        headers.Add(WireProtocol.StatusHeader, status);
        if (controlSubject is not null)
        {
            headers.Add(StreamingProtocol.ControlHeader, controlSubject);

            // This provider reads the client's items in batches too (client and duplex streams).
            headers.Add(StreamingProtocol.BatchHeader, "1");
        }
        else
        {
            MaculaDiagnostics.ServerCalls.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Status, status));
        }

        await runtime.Transport.PublishAsync(replyTo, body, headers).ConfigureAwait(false);
    }
}
