using System.Buffers;
using System.ComponentModel;
using Macula.Serialization;
using MessagePack;

namespace Macula.Rpc;

/// <summary>Runs calls on a service implementation; emitted by the generator.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IServiceDispatcher
{
    /// <summary>
    /// Decodes the arguments of <paramref name="method"/> from <paramref name="arguments"/> (a MessagePack array) with
    /// <paramref name="options"/>, runs the implementation and writes its result (nil for none) to <paramref name="result"/>.
    /// Decoding happens before the first await, so a <see cref="MaculaSerializationException"/> thrown synchronously
    /// means the implementation never ran.
    /// </summary>
    ValueTask InvokeAsync(MethodDescriptor method, ReadOnlyMemory<byte> arguments, MessagePackSerializerOptions options, IBufferWriter<byte> result, CancellationToken cancellationToken);

    /// <summary>
    /// Decodes the arguments of the streaming <paramref name="method"/> from <paramref name="arguments"/> and opens the
    /// implementation's stream (enumerated with <paramref name="cancellationToken"/>, each item written with
    /// <paramref name="options"/>). Decoding happens synchronously, so a <see cref="MaculaSerializationException"/>
    /// thrown here means the implementation never ran; whatever the implementation throws surfaces from the returned
    /// source. Dispatchers of services without streams keep this default.
    /// </summary>
    IMaculaStreamSource OpenStream(MethodDescriptor method, ReadOnlyMemory<byte> arguments, MessagePackSerializerOptions options, CancellationToken cancellationToken) =>
        throw new MaculaRpcException(MaculaErrorCode.MethodNotFound, $"'{method?.Name}' is not a stream of this service's dispatcher.");

    /// <summary>
    /// Opens a client or duplex stream (<see cref="MethodDescriptor.ClientStreaming"/>): as the other overload, and the
    /// implementation reads the client's items from <paramref name="input"/>. A duplex stream's source yields its
    /// items; a client stream's source yields exactly one value, the result (nil for none). Dispatchers of services
    /// without such streams keep this default.
    /// </summary>
    IMaculaStreamSource OpenStream(MethodDescriptor method, ReadOnlyMemory<byte> arguments, IMaculaStreamInput input, MessagePackSerializerOptions options, CancellationToken cancellationToken) =>
        throw new MaculaRpcException(MaculaErrorCode.MethodNotFound, $"'{method?.Name}' is not a client or duplex stream of this service's dispatcher.");
}
