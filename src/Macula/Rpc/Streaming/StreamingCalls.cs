using Macula.Rpc.Client;
using Macula.Serialization;
using MessagePack;
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

    public IAsyncEnumerable<TItem> OpenDuplex<TArgs, TInput, TItem>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken) =>
        new StreamingCall<TArgs, TItem>(client, method, arguments, argumentsFormatter, itemFormatter, cancellationToken, () => Pump(client, method, input, inputFormatter));

    public async ValueTask<TResult> SendAsync<TArgs, TInput, TResult>(ServiceClient client, MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken)
    {
        string label = client.ServiceName + "." + method.Name;
        var reader = new StreamingReader<TArgs, Nil>(client, method, arguments, argumentsFormatter, NilFormatter.Instance, cancellationToken, default, Pump(client, method, input, inputFormatter));
        await using (reader.ConfigureAwait(false))
        {
            if (await reader.MoveNextAsync().ConfigureAwait(false))
            {
                throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The provider of the client stream {label} sent an item; a client stream ends with one result.");
            }

            var end = reader.EndMessage!;
            try
            {
                return MaculaSerializer.Deserialize(WireProtocol.ReadBody(end, client.Runtime.Options.MaxDecompressedBytes), resultFormatter, client.Runtime.SerializerOptions);
            }
            catch (MaculaSerializationException ex)
            {
                throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The result of the client stream {label} could not be decoded: {ex.Message}", null, ex);
            }
        }
    }

    private static StreamInputPump<TInput> Pump<TInput>(ServiceClient client, MethodDescriptor method, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter) =>
        new(client.Runtime, client.ServiceName + "." + method.Name, input, inputFormatter, client.Options.Streams.Window, client.Options.Compression ?? client.Runtime.Options.Compression, method.Compression);
}
