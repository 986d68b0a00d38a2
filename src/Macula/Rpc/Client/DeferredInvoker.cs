using System.Runtime.CompilerServices;
using MessagePack.Formatters;

namespace Macula.Rpc.Client;

/// <summary>
/// The invoker of a client made before its node started: each call waits for the node's <see cref="ClientRuntime"/>,
/// then goes through a <see cref="ServiceClient"/> made with the same options; views merge options as
/// <see cref="ServiceClient.WithOptions"/> does.
/// </summary>
internal sealed class DeferredInvoker(Task<ClientRuntime> runtime, ServiceDescriptor descriptor, ClientOptions options, CallOptions? call, ClientState state) : IMaculaInvoker
{
    private ServiceClient? _inner;

    public async ValueTask<TResult> InvokeAsync<TArgs, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken)
    {
        var inner = _inner ?? await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return await inner.InvokeAsync(method, arguments, argumentsFormatter, resultFormatter, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask InvokeAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken)
    {
        var inner = _inner ?? await ResolveAsync(cancellationToken).ConfigureAwait(false);
        await inner.InvokeAsync(method, arguments, argumentsFormatter, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var inner = _inner ?? await ResolveAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var item in inner.InvokeStreamAsync(method, arguments, argumentsFormatter, itemFormatter, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    public async ValueTask<TResult> InvokeClientStreamAsync<TArgs, TInput, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken)
    {
        var inner = _inner ?? await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return await inner.InvokeClientStreamAsync(method, arguments, argumentsFormatter, input, inputFormatter, resultFormatter, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<TItem> InvokeDuplexStreamAsync<TArgs, TInput, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAsyncEnumerable<TInput> input, IMessagePackFormatter<TInput> inputFormatter, IMessagePackFormatter<TItem> itemFormatter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var inner = _inner ?? await ResolveAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var item in inner.InvokeDuplexStreamAsync(method, arguments, argumentsFormatter, input, inputFormatter, itemFormatter, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    public IMaculaInvoker WithOptions(CallOptions callOptions)
    {
        ArgumentNullException.ThrowIfNull(callOptions);
        callOptions.Validate();
        return new DeferredInvoker(runtime, descriptor, options, callOptions.Over(call), state);
    }

    private async ValueTask<ServiceClient> ResolveAsync(CancellationToken cancellationToken)
    {
        var started = await runtime.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Racing callers may each build one; they are equivalent (same options, same state), and the last one stays.
        return _inner = new ServiceClient(started, descriptor, options, call, state);
    }
}
