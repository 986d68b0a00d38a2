using System.Buffers;
using System.ComponentModel;

namespace Macula.Rpc;

/// <summary>A server stream opened by a dispatcher: the runtime pulls each item, serialized. Dispose it to stop the implementation.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMaculaStreamSource : IAsyncDisposable
{
    /// <summary>Moves to the next item and writes it to <paramref name="output"/> as one MessagePack value; false at the end.</summary>
    ValueTask<bool> MoveNextAsync(IBufferWriter<byte> output);
}
