using Macula.Rpc.Client;
using MessagePack.Formatters;

namespace Macula.Rpc.Streaming;

/// <summary>
/// The result of a streaming call: every enumeration opens one stream through <see cref="ServiceClient"/> (selection
/// and failover apply to the open) and reads its items.
/// </summary>
internal sealed class StreamingCall<TArgs, TItem>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken callToken)
    : IAsyncEnumerable<TItem>
{
    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new StreamingReader<TArgs, TItem>(client, method, arguments, argumentsFormatter, itemFormatter, callToken, cancellationToken);
}
