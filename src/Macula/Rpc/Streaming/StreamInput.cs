using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Macula.Rpc.Server;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc.Streaming;

/// <summary>
/// The provider's end of a client's item stream (client and duplex streams): the items the client publishes to the
/// control subject, in order, handed to the implementation one at a time. Asking for the next item finishes the
/// previous one; every <c>max(1, W/2)</c> finished items the provider grants the client that much credit with an
/// acknowledgement on the client's inbox, so at most <c>W</c> items are in flight or waiting here.
/// </summary>
internal sealed class StreamInput(ProviderRuntime runtime, string label, string inbox, int window, CancellationToken stream) : IMaculaStreamInput
{
    private readonly Channel<TransportMessage> _messages = Channel.CreateUnbounded<TransportMessage>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private readonly int _grantEvery = Math.Max(1, window / 2);

    // Grants are made one after the other by the reader of the items, so they share one set of headers.
    private readonly MaculaHeaders _grantHeaders = new(1);
    private long _received;
    private long _granted;
    private bool _ended;
    private Exception? _failure;
    private ReadOnlyMemory<byte> _body;
    private int _offset;
    private int _left;

    /// <summary>The highest acknowledgement granted to the client (repeated on heartbeats, which repairs a lost one).</summary>
    public long Granted => Volatile.Read(ref _granted);

    /// <summary>An item or the input's end arrived on the control subject.</summary>
    public void Deliver(TransportMessage message) => _messages.Writer.TryWrite(message);

    /// <summary>The stream is over: nothing more is read.</summary>
    public void Complete() => _messages.Writer.TryComplete();

    // Pooled: one await per item (await foreach awaits each call once), so the frame is reused, not boxed per item.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_ended)
        {
            return false;
        }

        long finished = _received - _left;
        if (finished - Volatile.Read(ref _granted) >= _grantEvery)
        {
            await GrantAsync(finished).ConfigureAwait(false);
        }

        if (_left > 0)
        {
            // The next item of the batch that arrived last.
            return true;
        }

        TransportMessage message;
        if (!cancellationToken.CanBeCanceled || cancellationToken == stream)
        {
            message = await ReadAsync(stream).ConfigureAwait(false);
        }
        else
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stream);
            message = await ReadAsync(linked.Token).ConfigureAwait(false);
        }

        try
        {
            return Next(message);
        }
        catch (Exception ex)
        {
            _failure = ex;
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TransportMessage> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _messages.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new OperationCanceledException($"The stream {label} ended while its implementation read the client's items.", null, stream);
        }
    }

    private bool Next(TransportMessage message)
    {
        var headers = message.Headers!;
        if (headers.TryGetValue(StreamingProtocol.SeqHeader, out string seqText))
        {
            if (!StreamingProtocol.TryParse(seqText, out long seq) || seq != _received + 1)
            {
                throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"The client's items of {label} were lost: after item {_received} came item '{seqText}'.");
            }

            long count = 1;
            if (headers[StreamingProtocol.ItemsHeader] is { } itemsText && (!StreamingProtocol.TryParse(itemsText, out count) || count < 1 || count > StreamingProtocol.MaxBatchItems))
            {
                throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The client sent a batch of '{itemsText}' items of {label}; a batch holds 1 to {StreamingProtocol.MaxBatchItems}.");
            }

            long last = seq + count - 1;
            if (last > Volatile.Read(ref _granted) + window)
            {
                throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The client sent item {last} of {label} beyond its window ({window} items after the {Volatile.Read(ref _granted)} granted).");
            }

            _received = last;
            _left = (int)count;
            _offset = 0;
            try
            {
                _body = WireProtocol.ReadBody(message, runtime.Options.MaxDecompressedBytes);
            }
            catch (MaculaSerializationException ex)
            {
                throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"Item {seq} of the client's items of {label} could not be read: {ex.Message}", null, ex);
            }

            return true;
        }

        _ended = true;
        string status = headers[WireProtocol.StatusHeader]!;
        if (status == WireProtocol.StatusOk)
        {
            if (StreamingProtocol.TryParse(headers[StreamingProtocol.CountHeader], out long sent) && sent != _received)
            {
                throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"The client sent {sent} items of {label}, but {_received} arrived.");
            }

            return false;
        }

        var code = WireProtocol.ParseStatus(status);
        var (text, type) = WireProtocol.ReadErrorBody(message.Payload);
        if (code == MaculaErrorCode.ApplicationError)
        {
            throw new MaculaRemoteException(type ?? string.Empty, text, "the client");
        }

        throw new MaculaRpcException(code, $"The client's items of {label} ended with {code} after {_received} items: {text}");
    }

    public T Read<T>(IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options)
    {
        if (_left <= 0)
        {
            throw new InvalidOperationException("There is no current item: call MoveNextAsync first, and Read once per item.");
        }

        if (_left == 1 && _offset == 0)
        {
            // A single item (or the only one left of a batch read from its start) is the whole body.
            _left = 0;
            return MaculaSerializer.Deserialize(_body, formatter, options);
        }

        var item = MaculaSerializer.DeserializeNext(_body, ref _offset, formatter, options);
        if (--_left == 0 && _offset != _body.Length)
        {
            throw new MaculaSerializationException($"The batch of the client's items of {label} has {_body.Length - _offset} bytes after its last item", _offset);
        }

        return item;
    }

    private async ValueTask GrantAsync(long finished)
    {
        Volatile.Write(ref _granted, finished);
        try
        {
            _grantHeaders.Clear();
            _grantHeaders.Add(StreamingProtocol.AckHeader, StreamingProtocol.Format(finished));
            await runtime.Transport.PublishAsync(inbox, ReadOnlyMemory<byte>.Empty, _grantHeaders).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"{label} could not grant its client credit: {ex.Message}", null, ex);
        }
    }
}
