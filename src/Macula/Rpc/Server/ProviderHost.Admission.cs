using Macula.Transport;

namespace Macula.Rpc.Server;

/// <summary>
/// Admission of calls (<see cref="LoadSheddingOptions"/>): the subscription's delivery loop only decides, never runs a
/// handler, so a handler that blocks its thread cannot stall the other calls of its service. A call with a slot runs
/// on the thread pool; one without waits in the bounded queue; any other is answered Overloaded at once, before it ran.
/// Stream opens skip the gate (a stream lives long; its credit window bounds it) but are dispatched the same way; calls
/// of an unknown method are refused here, without a slot.
/// </summary>
internal sealed partial class ProviderHost
{
    private void Admit(TransportMessage message)
    {
        var headers = message.Headers;
        string? methodName = headers?[WireProtocol.MethodHeader];
        var method = methodName is null ? null : _service.FindMethod(methodName);

        if (method is null)
        {
            // Refused without a slot: reported (rate-limited by the event sink) and answered MethodNotFound.
            _ = RefuseUnknownAsync(message, methodName);
            return;
        }

        // A stream open takes no slot either.
        if (method.Streaming || headers?[WireProtocol.StreamHeader] is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Host.HandleAsync(s.Message), (Host: this, Message: message), preferLocal: false);
            return;
        }

        switch (Gate.TryEnter(out var granted))
        {
            case ConcurrencyGate.Admission.Run:
                ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Host.RunAdmittedAsync(s.Message), (Host: this, Message: message), preferLocal: false);
                break;
            case ConcurrencyGate.Admission.Queued:
                _ = RunWhenGrantedAsync(granted!, message);
                break;
            default:
                _ = ShedAsync(message, queued: false);
                break;
        }
    }

    private async Task RunAdmittedAsync(TransportMessage message)
    {
        try
        {
            await HandleAsync(message).ConfigureAwait(false);
        }
        finally
        {
            // Only now: a handler that ignored its cancellation keeps its slot until it really returns.
            Gate.Exit();
        }
    }

    private async Task RunWhenGrantedAsync(Task<bool> granted, TransportMessage message)
    {
        // The gate completes the wait asynchronously, so this continues on the thread pool.
        if (await granted.ConfigureAwait(false))
        {
            await RunAdmittedAsync(message).ConfigureAwait(false);
        }
        else
        {
            await ShedAsync(message, queued: true).ConfigureAwait(false);
        }
    }

    private async Task RefuseUnknownAsync(TransportMessage message, string? methodName)
    {
        try
        {
            // The name comes from the wire: the reply and the event quote at most Validation.MaxQuotedLength of it.
            string what = methodName is null ? "no method header" : $"unknown method '{Security.LogThrottle.Quote(methodName, Validation.MaxQuotedLength)}'";
            _runtime.Events.BadMessage(Subject, what);
            await ReplyErrorAsync(message.ReplyTo!, MaculaErrorCode.MethodNotFound, $"The service '{_service.Name}' on {_runtime.NodeId} has {what}.").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _runtime.Events.BackgroundError($"refusing a call of {_service.Name}", ex);
        }
    }

    private async Task ShedAsync(TransportMessage message, bool queued)
    {
        try
        {
            MaculaDiagnostics.ServerShed.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.RpcService, _service.Name), new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.NodeId, _runtime.NodeId));
            if (_draining)
            {
                await ReplyErrorAsync(message.ReplyTo!, MaculaErrorCode.ShuttingDown, $"The provider {_runtime.NodeId} of '{_service.Name}' is shutting down.").ConfigureAwait(false);
                return;
            }

            string why = queued
                ? $"the call waited {Gate.MaxQueueWait.TotalMilliseconds:0} ms (LoadSheddingOptions.MaxQueueWait) without a slot"
                : $"{Gate.Limit} calls run (LoadSheddingOptions.MaxConcurrency) and {Gate.QueueLength} wait (LoadSheddingOptions.QueueLength)";
            await ReplyErrorAsync(message.ReplyTo!, MaculaErrorCode.Overloaded, $"The provider {_runtime.NodeId} of '{_service.Name}' is overloaded: {why}; the call did not run.").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _runtime.Events.BackgroundError($"shedding a call of {_service.Name}", ex);
        }
    }
}
