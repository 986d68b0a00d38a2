using Macula.Rpc.Client;
using MessagePack.Formatters;

namespace Macula.Rpc.Streaming;

/// <summary>
/// The result of a server or duplex streaming call: every enumeration opens one stream through
/// <see cref="ServiceClient"/> (selection and failover apply to the open) and reads its items; a duplex stream's
/// enumeration also sends the caller's items (<paramref name="input"/> makes each enumeration's pump).
/// </summary>
internal sealed class StreamingCall<TArgs, TItem>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken callToken, Func<IStreamInputPump>? input = null)
    : IAsyncEnumerable<TItem>
{
    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new StreamingReader<TArgs, TItem>(client, method, arguments, argumentsFormatter, itemFormatter, callToken, cancellationToken, input?.Invoke());
}
