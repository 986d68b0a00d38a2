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
}
