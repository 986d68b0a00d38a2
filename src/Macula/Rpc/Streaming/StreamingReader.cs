using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Macula.Rpc.Client;
using Macula.Serialization;
using Macula.Transport;
using MessagePack.Formatters;

namespace Macula.Rpc.Streaming;

/// <summary>
/// Reads one stream: opens it on the first <see cref="MoveNextAsync"/>, hands out items in sequence, acknowledges
/// the items the consumer has finished with (which grants the provider credit), sends heartbeats, and ends at the
/// provider's end message, an idle timeout, or the consumer's cancel or dispose (which stop the provider).
/// </summary>
internal sealed class StreamingReader<TArgs, TItem> : IAsyncEnumerator<TItem>
{
    private readonly ServiceClient _client;
    private readonly ClientRuntime _runtime;
    private readonly string _label;
    private readonly StreamOptions _options;
    private readonly MethodDescriptor _method;
    private readonly TArgs _arguments;
    private readonly IMessagePackFormatter<TArgs> _argumentsFormatter;
    private readonly IMessagePackFormatter<TItem> _itemFormatter;
    private readonly CancellationToken _callToken;
    private readonly CancellationToken _enumeratorToken;
    private readonly int _ackEvery;
    private readonly IStreamInputPump? _input;
    private CancellationTokenSource? _stopInput;
    private Exception? _inputFailure;
    private CancellationTokenSource _wait;
    private CancellationTokenSource? _stopKeepAlive;
    private Task? _keepAlive;
    private StreamInbox? _inbox;
    private string? _control;
    private string _nodeId = string.Empty;
    private IReadOnlyList<MaculaAttempt>? _attempts;
    private long _received;
    private long _consumed;
    private long _acknowledged;

    // The consumer's acknowledgements, one after the other, reuse these; the keep-alive's make their own.
    private readonly MaculaHeaders _ackHeaders = new(1);
    private bool _hasCurrent;
    private ReadOnlyMemory<byte> _batch;
    private int _batchOffset;
    private int _batchLeft;
    private bool _ended;
    private bool _closed;

    public StreamingReader(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken callToken, CancellationToken enumeratorToken, IStreamInputPump? input = null)
    {
        _input = input;
        _client = client;
        _runtime = client.Runtime;
        _label = client.ServiceName + "." + method.Name;
        _options = client.Options.Streams;
        _method = method;
        _arguments = arguments;
        _argumentsFormatter = argumentsFormatter;
        _itemFormatter = itemFormatter;
        _callToken = callToken;
        _enumeratorToken = enumeratorToken;
        _ackEvery = Math.Max(1, _options.Window / 2);
        _wait = CancellationTokenSource.CreateLinkedTokenSource(callToken, enumeratorToken);
        Current = default!;
    }

    public TItem Current { get; private set; }

    /// <summary>The provider's end message once the stream ended well: a client stream's result is its body.</summary>
    public TransportMessage? EndMessage { get; private set; }

    private bool CallerCancelled => _callToken.IsCancellationRequested || _enumeratorToken.IsCancellationRequested;

    // Pooled: one await per item (await foreach awaits each call once), so the frame is reused, not boxed per item.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> MoveNextAsync()
    {
        if (_ended || _closed)
        {
            return false;
        }

        try
        {
            if (_inbox is null)
            {
                await OpenAsync().ConfigureAwait(false);
            }

            if (_hasCurrent)
            {
                // Asking for the next item means the consumer has finished with the previous one.
                _hasCurrent = false;
                _consumed++;
                if (_consumed - Volatile.Read(ref _acknowledged) >= _ackEvery)
                {
                    await AcknowledgeAsync(_consumed, _ackHeaders).ConfigureAwait(false);
                }
            }

            if (_batchLeft > 0)
            {
                Current = NextOfBatch();
                _hasCurrent = true;
                return true;
            }

            while (true)
            {
                var message = await NextMessageAsync().ConfigureAwait(false);
                if (ReferenceEquals(message, StreamInbox.Interruption))
                {
                    // The caller's items failed; the provider was told (its enumeration of them throws) and ends itself.
                    _ended = true;
                    await CloseAsync(cancelProvider: false).ConfigureAwait(false);
                    ExceptionDispatchInfo.Capture(Volatile.Read(ref _inputFailure)!).Throw();
                }

                var headers = message.Headers;
                if (headers is null)
                {
                    continue;
                }

                if (headers.TryGetValue(StreamingProtocol.SeqHeader, out string seqText))
                {
                    Current = ReadItem(seqText, message);
                    _hasCurrent = true;
                    return true;
                }

                if (headers.TryGetValue(WireProtocol.StatusHeader, out string status))
                {
                    _ended = true;
                    await CloseAsync(cancelProvider: false).ConfigureAwait(false);
                    bool more = End(status, headers[StreamingProtocol.CountHeader], message.Payload);
                    EndMessage = message;
                    return more;
                }

                // A heartbeat (or a header this version does not know): the provider is alive.
            }
        }
        catch (Exception) when (!_ended)
        {
            _ended = true;
            await CloseAsync(cancelProvider: true).ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask OpenAsync()
    {
        var opener = new StreamOpener(_runtime, _options);
        TransportMessage reply;
        try
        {
            (reply, _nodeId, _attempts) = await _client.OpenStreamAsync(_method, _arguments, _argumentsFormatter, opener, _wait.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await opener.AbandonAsync().ConfigureAwait(false);
            throw;
        }

        _inbox = opener.Take();
        _control = reply.Headers?[StreamingProtocol.ControlHeader];
        if (_control is null)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The provider {_nodeId} accepted the stream {_label} but named no {StreamingProtocol.ControlHeader} subject.", _attempts);
        }

        _stopKeepAlive = new CancellationTokenSource();
        _keepAlive = KeepAliveAsync(_stopKeepAlive.Token);
        if (_input is not null)
        {
            // No credit can arrive before the first item is sent, so the pump is wired before it starts.
            _inbox.OnCredit = _input.OnCredit;
            _stopInput = new CancellationTokenSource();
            _ = PumpAsync(_input, _inbox, _control, reply.Headers?[StreamingProtocol.BatchHeader] == "1", _stopInput.Token);
        }
    }

    /// <summary>Sends the caller's items; when they fail, wakes the reader, which throws their exception.</summary>
    private async Task PumpAsync(IStreamInputPump input, StreamInbox inbox, string control, bool batching, CancellationToken stop)
    {
        try
        {
            await input.RunAsync(control, batching, stop).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _inputFailure, ex);
            inbox.Interrupt();
        }
    }

    private TItem ReadItem(string seqText, TransportMessage message)
    {
        if (!StreamingProtocol.TryParse(seqText, out long seq) || seq != _received + 1)
        {
            throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"The stream {_label} from {_nodeId} lost items: after item {_received} came item '{seqText}'.", _attempts);
        }

        long count = 1;
        if (message.Headers![StreamingProtocol.ItemsHeader] is { } itemsText && (!StreamingProtocol.TryParse(itemsText, out count) || count < 1 || count > StreamingProtocol.MaxBatchItems))
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The provider {_nodeId} sent a batch of '{itemsText}' items of {_label}; a batch holds 1 to {StreamingProtocol.MaxBatchItems}.", _attempts);
        }

        long last = seq + count - 1;
        if (last > Volatile.Read(ref _acknowledged) + _options.Window)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The provider {_nodeId} sent item {last} of {_label} beyond its window ({_options.Window} items after the {Volatile.Read(ref _acknowledged)} acknowledged).", _attempts);
        }

        _received = last;
        ReadOnlyMemory<byte> body;
        try
        {
            body = WireProtocol.ReadBody(message, _runtime.Options.MaxDecompressedBytes);
            if (count == 1)
            {
                return MaculaSerializer.Deserialize(body, _itemFormatter, _runtime.SerializerOptions);
            }
        }
        catch (MaculaSerializationException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"Item {seq} of {_label} from {_nodeId} could not be decoded: {ex.Message}", _attempts, ex);
        }

        _batch = body;
        _batchOffset = 0;
        _batchLeft = (int)count;
        return NextOfBatch();
    }

    /// <summary>The next item of the batch that arrived last: its values lie one after the other.</summary>
    private TItem NextOfBatch()
    {
        long number = _received - _batchLeft + 1;
        TItem item;
        try
        {
            item = MaculaSerializer.DeserializeNext(_batch, ref _batchOffset, _itemFormatter, _runtime.SerializerOptions);
        }
        catch (MaculaSerializationException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"Item {number} of {_label} from {_nodeId} could not be decoded: {ex.Message}", _attempts, ex);
        }

        if (--_batchLeft == 0)
        {
            if (_batchOffset != _batch.Length)
            {
                throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The batch of {_label} from {_nodeId} that ends with item {number} has {_batch.Length - _batchOffset} bytes after its last item.", _attempts);
            }

            _batch = default;
        }

        return item;
    }

    private bool End(string status, string? count, ReadOnlyMemory<byte> body)
    {
        if (status == WireProtocol.StatusOk)
        {
            if (StreamingProtocol.TryParse(count, out long sent) && sent != _received)
            {
                throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"The stream {_label} from {_nodeId} sent {sent} items, but {_received} arrived.", _attempts);
            }

            return false;
        }

        var code = WireProtocol.ParseStatus(status);
        var (message, type) = WireProtocol.ReadErrorBody(body);
        if (code == MaculaErrorCode.ApplicationError)
        {
            throw new MaculaRemoteException(type ?? "", message, _nodeId, _attempts);
        }

        throw new MaculaRpcException(code, $"The stream {_label} from {_nodeId} ended with {code} after {_received} items: {message}", _attempts);
    }

    /// <summary>The next message of the inbox; fails when the provider has sent nothing for the idle timeout.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TransportMessage> NextMessageAsync()
    {
        var inbox = _inbox!;
        var reader = inbox.Reader;
        while (true)
        {
            // A cancelled caller gets no more items, even ones already buffered.
            if (CallerCancelled)
            {
                throw new OperationCanceledException($"The stream {_label} was cancelled by the caller.", null, _callToken.IsCancellationRequested ? _callToken : _enumeratorToken);
            }

            if (reader.TryRead(out var message))
            {
                return message;
            }

            var remaining = _options.IdleTimeout - _runtime.Time.GetElapsedTime(inbox.LastHeard);
            if (remaining <= TimeSpan.Zero)
            {
                throw new MaculaRpcException(MaculaErrorCode.Timeout, $"The stream {_label} from {_nodeId} sent nothing (no item, no heartbeat) for {_options.IdleTimeout.TotalMilliseconds:0} ms after {_received} items: the provider stopped responding.", _attempts);
            }

            _wait.CancelAfter(remaining);
            try
            {
                if (!await reader.WaitToReadAsync(_wait.Token).ConfigureAwait(false))
                {
                    throw new ObjectDisposedException(nameof(StreamingReader<TArgs, TItem>), "The stream was disposed while it was read.");
                }

                _wait.CancelAfter(Timeout.InfiniteTimeSpan);
            }
            catch (OperationCanceledException) when (!CallerCancelled)
            {
                // The idle timer fired: look again (a message may have just arrived) with a fresh timer.
                _wait.Dispose();
                _wait = CancellationTokenSource.CreateLinkedTokenSource(_callToken, _enumeratorToken);
            }
            catch (OperationCanceledException)
            {
                throw new OperationCanceledException($"The stream {_label} was cancelled by the caller.", null, _callToken.IsCancellationRequested ? _callToken : _enumeratorToken);
            }
        }
    }

    /// <summary>Publishes an acknowledgement with <paramref name="headers"/>, which no other publish may be using (the transport has copied them when it returns).</summary>
    private async ValueTask AcknowledgeAsync(long consumed, MaculaHeaders headers)
    {
        StreamingProtocol.AdvanceTo(ref _acknowledged, consumed);

        try
        {
            headers.Clear();
            headers.Add(StreamingProtocol.AckHeader, StreamingProtocol.Format(consumed));
            await _runtime.Transport.PublishAsync(_control!, ReadOnlyMemory<byte>.Empty, headers).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"The stream {_label} could not acknowledge items to {_nodeId}: {ex.Message}", _attempts, ex);
        }
    }

    /// <summary>Repeats the acknowledgement at a third of the idle timeout, so the provider knows the client is alive and a lost acknowledgement is repaired.</summary>
    private async Task KeepAliveAsync(CancellationToken stop)
    {
        var period = _options.IdleTimeout / 3;
        while (true)
        {
            try
            {
                await Task.Delay(period, _runtime.Time, stop).ConfigureAwait(false);
                await AcknowledgeAsync(Volatile.Read(ref _consumed), new MaculaHeaders(1)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (MaculaRpcException)
            {
                // The transport is down; the reader sees it too (idle timeout) and ends the stream.
            }
        }
    }

    private async ValueTask CloseAsync(bool cancelProvider)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;

        // The caller's items are not wanted any more (not awaited: an input that ignores its token must not hold the close).
        _stopInput?.Cancel();
        if (_stopKeepAlive is not null)
        {
            _stopKeepAlive.Cancel();
            await _keepAlive!.ConfigureAwait(false);
            _stopKeepAlive.Dispose();
        }

        if (cancelProvider && _control is not null)
        {
            try
            {
                await _runtime.Transport.PublishAsync(_control, ReadOnlyMemory<byte>.Empty, StreamingProtocol.Single(StreamingProtocol.CancelHeader, "1")).ConfigureAwait(false);
            }
            catch (MaculaTransportException)
            {
                // Best effort: the provider stops at its idle timeout when it hears nothing more.
            }
        }

        if (_inbox is not null)
        {
            await _inbox.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Leaving the stream before its end (a break out of await foreach) stops the provider's enumeration.
        await CloseAsync(cancelProvider: !_ended).ConfigureAwait(false);
        _ended = true;
        _wait.Dispose();
    }
}
