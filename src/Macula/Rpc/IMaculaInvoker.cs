using System.ComponentModel;
using MessagePack.Formatters;

namespace Macula.Rpc;

/// <summary>Sends typed calls to the providers of one service; the generated proxy calls it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMaculaInvoker
{
    /// <summary>Calls a method that returns a value.</summary>
    ValueTask<TResult> InvokeAsync<TArgs, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken);

    /// <summary>Calls a method that returns nothing.</summary>
    ValueTask InvokeAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken);

    /// <summary>Returns an invoker that applies <paramref name="options"/> to every call.</summary>
    IMaculaInvoker WithOptions(CallOptions options);

    /// <summary>
    /// Calls a streaming method: each enumeration of the result opens one stream (provider selection and failover
    /// apply to the open) and yields its items in order, with credit-based flow control. Invokers that cannot stream
    /// keep this default.
    /// </summary>
    IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"The invoker {GetType().FullName} cannot call streaming methods.");

    /// <summary>
    /// Calls a client-streaming method: opens one stream (selection and failover apply to the open), sends
    /// <paramref name="input"/>'s items with credit-based flow control, and returns the provider's result. Invokers
    /// that cannot stream keep this default.
    /// </summary>
    ValueTask<TResult> InvokeClientStreamAsync<TArgs, TInput, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"The invoker {GetType().FullName} cannot call client-streaming methods.");

    /// <summary>
    /// Calls a duplex-streaming method: each enumeration of the result opens one stream, sends
    /// <paramref name="input"/>'s items and yields the provider's, both ways with credit-based flow control. Invokers
    /// that cannot stream keep this default.
    /// </summary>
    IAsyncEnumerable<TItem> InvokeDuplexStreamAsync<TArgs, TInput, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"The invoker {GetType().FullName} cannot call duplex-streaming methods.");
}
