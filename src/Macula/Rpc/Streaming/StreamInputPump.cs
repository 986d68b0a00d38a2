using System.Buffers;
using System.Runtime.CompilerServices;
using Macula.Rpc.Client;
using Macula.Serialization;
using Macula.Transport;
using MessagePack.Formatters;

namespace Macula.Rpc.Streaming;

/// <summary>The client's item stream of one open client or duplex stream, as the reader drives it.</summary>
internal interface IStreamInputPump
{
    /// <summary>The provider granted credit up to <paramref name="granted"/> items (cumulative).</summary>
    void OnCredit(long granted);

    /// <summary>
    /// Sends the items to <paramref name="control"/> while the window has room (in batches when the provider reads
    /// them, <paramref name="batching"/>), then their end; stops quietly at <paramref name="stop"/>.
    /// </summary>
    Task RunAsync(string control, bool batching, CancellationToken stop);
}

/// <summary>
/// Sends a client's items to the provider's control subject: item <c>n</c> only when <c>n &lt;= A + W</c> (<c>A</c> the
/// provider's latest grant), each with its sequence number, then an end with the count, or, when the items fail, an
/// end with the error (so the implementation's enumeration throws) before the exception reaches the caller.
/// </summary>
internal sealed class StreamInputPump<T>(ClientRuntime runtime, string label, IAsyncEnumerable<T> items, IMessagePackFormatter<T> formatter, int window, CompressionOptions compression, MethodCompression methodCompression) : IStreamInputPump
{
    private readonly CreditSignal _credit = new();
    private long _sent;

    // The last item handed to the transport, written before the publish: the provider may grant credit for an item
    // before PublishAsync returns (a transport may deliver inline), so grants are bounded by this, not by _sent.
    private long _offered;
    private long _granted;

    public void OnCredit(long granted)
    {
        StreamingProtocol.AdvanceTo(ref _granted, Math.Min(granted, Volatile.Read(ref _offered)));
        _credit.Signal();
    }

    public async Task RunAsync(string control, bool batching, CancellationToken stop)
    {
        using var output = new PooledBufferWriter();
        using var packed = new PooledBufferWriter();
        using var spare = new PooledBufferWriter();
        IAsyncEnumerator<T>? enumerator = null;
        ValueTask<bool>? carried = null;
        int batchBytes = Math.Min(StreamingProtocol.MaxBatchBytes, runtime.Transport.MaxPayload / 2);

        // One set of item headers for every message: each publish is awaited before the next is filled.
        var headers = new MaculaHeaders(3);
        try
        {
            enumerator = items.GetAsyncEnumerator(stop);
            while (true)
            {
                if (_sent - Volatile.Read(ref _granted) >= window)
                {
                    await WaitForCreditAsync(stop).ConfigureAwait(false);
                }

                var pull = carried ?? enumerator.MoveNextAsync();
                carried = null;
                if (!await pull.ConfigureAwait(false))
                {
                    break;
                }

                output.Clear();
                MaculaSerializer.Serialize(output, enumerator.Current, formatter, runtime.SerializerOptions);

                // Items that are ready now, while the window has room, share one message (as the provider's do); a
                // pull that would wait is carried to the next message.
                int count = 1;
                bool last = false;
                while (batching && count < StreamingProtocol.MaxBatchItems && _sent + count - Volatile.Read(ref _granted) < window)
                {
                    var next = enumerator.MoveNextAsync();
                    if (!next.IsCompletedSuccessfully)
                    {
                        carried = next;
                        break;
                    }

                    if (!next.Result)
                    {
                        last = true;
                        break;
                    }

                    spare.Clear();
                    MaculaSerializer.Serialize(spare, enumerator.Current, formatter, runtime.SerializerOptions);
                    if (output.WrittenCount + spare.WrittenCount > batchBytes)
                    {
                        // Too big for this batch: the current item starts the next one.
                        carried = new ValueTask<bool>(true);
                        break;
                    }

                    output.Write(spare.WrittenSpan);
                    count++;
                }

                long seq = _sent + 1;
                StreamingProtocol.ItemMessage(headers, seq, count, output.WrittenMemory, packed, compression, methodCompression, out var item);

                Volatile.Write(ref _offered, seq + count - 1);
                await PublishAsync(control, item, headers).ConfigureAwait(false);
                Volatile.Write(ref _sent, seq + count - 1);
                if (last)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The stream ended (the provider finished or failed, or the caller left): the items are not wanted.
            return;
        }
        catch (Exception ex) when (ex is not MaculaRpcException { Code: MaculaErrorCode.ConnectionLost })
        {
            // The caller's items failed: the implementation's enumeration throws too, then the caller gets ex.
            var code = ex is OperationCanceledException ? MaculaErrorCode.Cancelled : MaculaErrorCode.ApplicationError;
            string message = code == MaculaErrorCode.Cancelled ? $"The client's items of {label} were cancelled." : $"The client's items of {label} failed: {ex.Message}";
            await TrySendEndAsync(control, code.ToString(), WireProtocol.ErrorBody(code, message, code == MaculaErrorCode.ApplicationError ? ex.GetType().FullName : null)).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (enumerator is not null)
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
        }

        var end = new MaculaHeaders(2);
        end.Add(WireProtocol.StatusHeader, WireProtocol.StatusOk);
        end.Add(StreamingProtocol.CountHeader, StreamingProtocol.Format(_sent));
        await PublishAsync(control, ReadOnlyMemory<byte>.Empty, end).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForCreditAsync(CancellationToken stop)
    {
        while (true)
        {
            _credit.Arm();

            // Checked after arming: a grant either is seen here or completes the wait.
            if (_sent - Volatile.Read(ref _granted) < window)
            {
                return;
            }

            await _credit.WaitAsync(stop).ConfigureAwait(false);
        }
    }

    private async ValueTask PublishAsync(string control, ReadOnlyMemory<byte> body, MaculaHeaders headers)
    {
        try
        {
            await runtime.Transport.PublishAsync(control, body, headers).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"The client's items of {label} could not be sent: {ex.Message}", null, ex);
        }
    }

    private async ValueTask TrySendEndAsync(string control, string status, byte[] body)
    {
        var end = new MaculaHeaders(2);
        end.Add(WireProtocol.StatusHeader, status);
        end.Add(StreamingProtocol.CountHeader, StreamingProtocol.Format(_sent));
        try
        {
            await runtime.Transport.PublishAsync(control, body, end).ConfigureAwait(false);
        }
        catch (MaculaTransportException)
        {
            // The provider stops at its idle timeout when it hears nothing more.
        }
    }
}
