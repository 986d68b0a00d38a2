using MessagePack.Formatters;

namespace Macula.Rpc.Client;

/// <summary>
/// The seam where a client's stream calls leave the unary path: <see cref="ServiceClient.InvokeStreamAsync"/> hands
/// them to Rpc/Streaming, which opens each stream through <see cref="ServiceClient.OpenStreamAsync"/> (one call
/// through the same selection and failover) with its own <see cref="IAttemptHandler"/>.
/// </summary>
internal interface IStreamCalls
{
    /// <summary>A stream of <paramref name="method"/>'s items: each enumeration opens one stream through <paramref name="client"/>.</summary>
    IAsyncEnumerable<TItem> Open<TArgs, TItem>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken);

    /// <summary>Opens one client stream through <paramref name="client"/>, sends <paramref name="input"/>'s items and returns the provider's result.</summary>
    ValueTask<TResult> SendAsync<TArgs, TInput, TResult>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken);

    /// <summary>A duplex stream: each enumeration opens one stream through <paramref name="client"/>, sends <paramref name="input"/>'s items and yields the provider's.</summary>
    IAsyncEnumerable<TItem> OpenDuplex<TArgs, TInput, TItem>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken);
}
