using Macula.Rpc.Client;
using MessagePack.Formatters;

namespace Macula.Rpc.Streaming;

/// <summary>The client side of streams, plugged into <see cref="ServiceClient"/> at <see cref="IStreamCalls"/>.</summary>
internal sealed class StreamingCalls : IStreamCalls
{
    public static readonly StreamingCalls Instance = new();

    private StreamingCalls()
    {
    }

    public IAsyncEnumerable<TItem> Open<TArgs, TItem>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken) =>
        new StreamingCall<TArgs, TItem>(client, method, arguments, argumentsFormatter, itemFormatter, cancellationToken);
}
