using System.ComponentModel;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc;

/// <summary>
/// The items a client streams to a provider (client and duplex streams), as the runtime receives them: each one
/// MessagePack value, in order, with credit granted back to the client as they are read. Generated dispatchers wrap
/// it with <see cref="StreamingSupport.Input{T}"/>; it can be read once.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMaculaStreamInput
{
    /// <summary>
    /// Moves to the next item; false when the client has sent them all. Throws <see cref="MaculaRpcException"/> when
    /// the client's input failed or was cancelled, or items were lost, and <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> or the stream is cancelled.
    /// </summary>
    ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads the current item with <paramref name="formatter"/>; call it once per item, before the next
    /// <see cref="MoveNextAsync"/>. Throws <see cref="Serialization.MaculaSerializationException"/> when it cannot be read.
    /// </summary>
    T Read<T>(IMessagePackFormatter<T> formatter, MessagePackSerializerOptions options);
}
