using System.Runtime.CompilerServices;
using Macula.Rpc;
using Macula.Serialization;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Generators.Tests;

/// <summary>
/// An invoker that does what the network does to a call, in process: serializes the arguments, hands the bytes to
/// the provider's dispatcher (finding the method by its wire name, as a provider would) and deserializes the reply.
/// Public so that scenarios compiled inside the tests can use it.
/// </summary>
public sealed class LoopbackInvoker : IMaculaInvoker
{
    private readonly ServiceDescriptor _provider;
    private readonly IServiceDispatcher _dispatcher;

    public LoopbackInvoker(ServiceDescriptor provider, IServiceDispatcher dispatcher)
    {
        _provider = provider;
        _dispatcher = dispatcher;
    }

    /// <summary>The arguments of every call, as they went on the wire.</summary>
    public List<byte[]> Requests { get; } = [];

    /// <summary>The reply of every call, as it came back.</summary>
    public List<byte[]> Replies { get; } = [];

    public CallOptions? Options { get; private init; }

    /// <summary>What both sides read and write with: the generated and built-in formatters, untrusted-data security.</summary>
    public MessagePackSerializerOptions SerializerOptions { get; init; } = MaculaSerializer.DefaultOptions;

    /// <summary>Writes one value as the runtime does, into a new array.</summary>
    public byte[] Write<T>(T value, IMessagePackFormatter<T> formatter) => MaculaSerializer.Serialize(value, formatter, SerializerOptions);

    /// <summary>Reads one value that must take all of <paramref name="bytes"/>, as the runtime does.</summary>
    public T Read<T>(byte[] bytes, IMessagePackFormatter<T> formatter) => MaculaSerializer.Deserialize(bytes, formatter, SerializerOptions);

    public async ValueTask<TResult> InvokeAsync<TArgs, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken)
    {
        byte[] reply = await CallAsync(method, Write(arguments, argumentsFormatter), cancellationToken);
        return Read(reply, resultFormatter);
    }

    public async ValueTask InvokeAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken)
    {
        byte[] reply = await CallAsync(method, Write(arguments, argumentsFormatter), cancellationToken);
        if (reply is not [0xc0])
        {
            throw new InvalidOperationException($"A method without a result must reply nil, got {Convert.ToHexString(reply)}.");
        }
    }

    /// <summary>Opens the dispatcher's stream in process; every item goes through its wire bytes, recorded in <see cref="Replies"/>.</summary>
    public async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        byte[] request = Write(arguments, argumentsFormatter);
        Requests.Add(request);
        var target = _provider.FindMethod(method.Name)
            ?? throw new MaculaRpcException(MaculaErrorCode.MethodNotFound, $"The provider of '{_provider.Name}' has no method '{method.Name}'.");
        if (!target.Streaming)
        {
            throw new InvalidOperationException($"'{method.Name}' is not a stream on the provider.");
        }

        await using var source = _dispatcher.OpenStream(target, request, SerializerOptions, cancellationToken);
        using var item = new PooledBufferWriter();
        while (true)
        {
            item.Clear();
            if (!await source.MoveNextAsync(item))
            {
                yield break;
            }

            byte[] bytes = item.WrittenSpan.ToArray();
            Replies.Add(bytes);
            yield return Read(bytes, itemFormatter);
        }
    }

    public IMaculaInvoker WithOptions(CallOptions options) => new LoopbackInvoker(_provider, _dispatcher) { Options = options, SerializerOptions = SerializerOptions };

    private async ValueTask<byte[]> CallAsync(MethodDescriptor method, byte[] request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        var target = _provider.FindMethod(method.Name)
            ?? throw new MaculaRpcException(MaculaErrorCode.MethodNotFound, $"The provider of '{_provider.Name}' has no method '{method.Name}'.");
        using var reply = new PooledBufferWriter();
        await _dispatcher.InvokeAsync(target, request, SerializerOptions, reply, cancellationToken);
        byte[] bytes = reply.WrittenSpan.ToArray();
        Replies.Add(bytes);
        return bytes;
    }
}

/// <summary>Writes and reads one value as the runtime does, for scenarios compiled inside the tests.</summary>
public static class Wire
{
    public static byte[] Write<T>(T value, IMessagePackFormatter<T> formatter) => new LoopbackInvoker(null!, null!).Write(value, formatter);

    public static T Read<T>(byte[] bytes, IMessagePackFormatter<T> formatter) => new LoopbackInvoker(null!, null!).Read(bytes, formatter);
}
