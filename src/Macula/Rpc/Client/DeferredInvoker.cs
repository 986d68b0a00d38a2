using System.Runtime.CompilerServices;
using MessagePack.Formatters;

namespace Macula.Rpc.Client;

/// <summary>An invoker whose node is still starting: each call waits for the node, then goes through its client.</summary>
internal sealed class DeferredInvoker(Task<MaculaNode> node, ServiceDescriptor descriptor, ClientOptions options, CallOptions? call) : IMaculaInvoker
{
    private IMaculaInvoker? _inner;

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

    public IMaculaInvoker WithOptions(CallOptions options1)
    {
        ArgumentNullException.ThrowIfNull(options1);
        options1.Validate();
        return new DeferredInvoker(node, descriptor, options, options1);
    }

    private async ValueTask<IMaculaInvoker> ResolveAsync(CancellationToken cancellationToken)
    {
        var started = await node.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Racing callers may each build one; they are equivalent, and the last one stays.
        return _inner = started.CreateInvoker(descriptor, options, call);
    }
}
