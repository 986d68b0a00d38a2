using Macula.Serialization;
using Macula.Transport;

namespace Macula.Rpc.Server;

/// <summary>
/// One unary call a provider serves, as the server filters' innermost <c>next</c>: activates the implementation,
/// runs it on the decoded arguments into the output, and disposes the lease when the call is over.
/// </summary>
internal sealed class ServedCall(ProviderHost host, MethodDescriptor method, TransportMessage message, PooledBufferWriter output, MaculaCallContext context, Func<ValueTask>? started = null)
{
    private ServiceLease _lease;

    /// <summary>Whether the implementation was started (a filter that answered itself leaves it not started).</summary>
    public bool Started { get; private set; }

    /// <summary>
    /// Runs the implementation. Returns null when it completed (its result is in the output), or the refusal to send
    /// when the arguments could not be decoded; an exception of the implementation propagates.
    /// </summary>
    public async ValueTask<(MaculaErrorCode Code, string Message)?> RunImplementationAsync()
    {
        var runtime = host.Runtime;
        ValueTask running;
        try
        {
            Started = true;
            _lease = host.Activate();
            running = _lease.Dispatcher.InvokeAsync(method, WireProtocol.ReadBody(message, runtime.Options.MaxDecompressedBytes), runtime.SerializerOptions, output, context.CancellationToken);
        }
        catch (MaculaSerializationException ex)
        {
            runtime.Events.BadMessage(host.Subject, ex.Message);
            return (MaculaErrorCode.BadRequest, $"The arguments of {host.ServiceName}.{method.Name} could not be decoded: {ex.Message}");
        }

        if (started is not null)
        {
            // A one-way call's acknowledgement: the implementation has started.
            await started().ConfigureAwait(false);
        }

        // An implementation that throws before returning its task fails here too: an application error.
        await running.ConfigureAwait(false);
        return null;
    }

    /// <summary>Writes the result a filter set with <see cref="MaculaCallContext.SetResult{T}"/> into the output.</summary>
    public void WriteShortCircuit(Action<System.Buffers.IBufferWriter<byte>, MessagePack.MessagePackSerializerOptions> write)
    {
        output.Clear();
        write(output, host.Runtime.SerializerOptions);
    }

    public ValueTask DisposeLeaseAsync() => _lease.Lifetime is { } lifetime ? lifetime.DisposeAsync() : default;
}

/// <summary>
/// Runs a provider's server filters around a call, the first registered outermost. A <see cref="MaculaRpcException"/>
/// a filter throws (not one the implementation threw) becomes the call's status; a filter that neither calls
/// <c>next</c> nor sets a result refuses the call as <see cref="MaculaErrorCode.Internal"/>.
/// </summary>
internal static class ServerFilterChain
{
    public static async ValueTask<(MaculaErrorCode Code, string Message)?> RunAsync(IReadOnlyList<IMaculaServerFilter> filters, MaculaCallContext context, ServedCall call)
    {
        (MaculaErrorCode Code, string Message)? refusal = null;
        bool implementationFailed = false;
        Func<MaculaCallContext, ValueTask> chain = async _ =>
        {
            try
            {
                refusal = await call.RunImplementationAsync().ConfigureAwait(false);
            }
            catch
            {
                implementationFailed = true;
                throw;
            }
        };

        try
        {
            await Chain(filters, chain)(context).ConfigureAwait(false);
        }
        catch (MaculaRpcException ex) when (!implementationFailed && ex is not MaculaRemoteException)
        {
            return (ex.Code, ex.Message);
        }

        if (!call.Started)
        {
            if (context.ShortCircuit is { } write)
            {
                call.WriteShortCircuit(write);
                return null;
            }

            return (MaculaErrorCode.Internal, $"A server filter ended {context.Service}.{context.Method} without calling next, setting a result or throwing.");
        }

        return refusal;
    }

    /// <summary>Around a stream's serving: only a filter's own <see cref="MaculaRpcException"/> is a refusal to send.</summary>
    public static async ValueTask<(MaculaErrorCode Code, string Message)?> RunAsync(IReadOnlyList<IMaculaServerFilter> filters, MaculaCallContext context, Func<MaculaCallContext, ValueTask> serve)
    {
        bool served = false;
        Func<MaculaCallContext, ValueTask> inner = async c =>
        {
            served = true;
            await serve(c).ConfigureAwait(false);
        };

        var previous = MaculaCallContext.Enter(context);
        try
        {
            await Chain(filters, inner)(context).ConfigureAwait(false);
        }
        catch (MaculaRpcException ex) when (!served && ex is not MaculaRemoteException)
        {
            return (ex.Code, ex.Message);
        }
        finally
        {
            MaculaCallContext.Enter(previous);
        }

        return served ? null : (MaculaErrorCode.Internal, $"A server filter ended the stream open of {context.Service}.{context.Method} without calling next or throwing.");
    }

    private static Func<MaculaCallContext, ValueTask> Chain(IReadOnlyList<IMaculaServerFilter> filters, Func<MaculaCallContext, ValueTask> innermost) =>
        FilterList.Chain(filters, innermost, static (filter, context, next) => filter.InvokeAsync(context, next));
}
