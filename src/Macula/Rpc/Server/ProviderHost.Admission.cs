using System.Collections.Concurrent;
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
    /// <summary>The per-method limits of this service (<see cref="LoadSheddingOptions.MethodLimits"/>), by method name, or null.</summary>
    private readonly Dictionary<string, ConcurrencyGate>? _methodGates;

    /// <summary>
    /// The call ids admitted (holding a slot or queued) but perhaps not yet in <see cref="InFlight"/>, and whether a
    /// cancel came for them meanwhile (1): a cancel can overtake its call now that calls start on the thread pool.
    /// Bounded by the limit and the queue.
    /// </summary>
    private readonly ConcurrentDictionary<string, int> _admitted = new(StringComparer.Ordinal);

    /// <summary>The gate of <paramref name="method"/>'s own limit, or <see langword="null"/>.</summary>
    public ConcurrencyGate? MethodGate(string method) => _methodGates?.GetValueOrDefault(method);

    private static Dictionary<string, ConcurrencyGate>? MethodGates(ServiceDescriptor service, ProviderRuntime runtime)
    {
        Dictionary<string, ConcurrencyGate>? gates = null;
        string prefix = service.Name + "/";
        foreach (var (key, limit) in runtime.Options.LoadShedding.MethodLimits)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            string name = key[prefix.Length..];
            if (service.FindMethod(name) is null)
            {
                throw new ArgumentException($"LoadSheddingOptions.MethodLimits names '{key}', but the service '{service.Name}' has no method '{name}' (methods: {string.Join(", ", service.Methods.Select(m => m.Name))}).", nameof(LoadSheddingOptions.MethodLimits));
            }

            (gates ??= new(StringComparer.Ordinal))[name] = new ConcurrencyGate(service.Name, name, runtime.NodeId, limit, 0, TimeSpan.Zero, runtime.Time);
        }

        return gates;
    }

    private void RegisterGates()
    {
        MaculaDiagnostics.AddGate(Gate);
        foreach (var gate in _methodGates?.Values ?? Enumerable.Empty<ConcurrencyGate>())
        {
            MaculaDiagnostics.AddGate(gate);
        }
    }

    private void UnregisterGates()
    {
        MaculaDiagnostics.RemoveGate(Gate);
        foreach (var gate in _methodGates?.Values ?? Enumerable.Empty<ConcurrencyGate>())
        {
            MaculaDiagnostics.RemoveGate(gate);
        }
    }

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

        // A method's own limit first (it has no queue): its slot is held while the call waits in the service's queue.
        var methodGate = MethodGate(method.Name);
        if (methodGate is not null && methodGate.TryEnter(out _) == ConcurrencyGate.Admission.Shed)
        {
            _ = ShedAsync(message, queued: false, methodGate);
            return;
        }

        var admission = Gate.TryEnter(out var granted);
        string? callId = headers?[WireProtocol.CallIdHeader];
        if (callId is not null && admission != ConcurrencyGate.Admission.Shed)
        {
            _admitted.TryAdd(callId, 0);
        }

        switch (admission)
        {
            case ConcurrencyGate.Admission.Run:
                // A local call made by a caller that a local reply has just resumed stays on that thread (it runs once
                // the caller has yielded it): no pool wake-up per call.
                var work = new AdmittedCall(this, message, method, methodGate);
                if (message.ReplyTo is not { } replyTo || !IsLocalReply(replyTo) || !LocalTrampoline.TryQueue(work))
                {
                    ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
                }

                break;
            case ConcurrencyGate.Admission.Queued:
                _ = RunWhenGrantedAsync(granted!, message, method, methodGate);
                break;
            default:
                methodGate?.Exit();
                _ = ShedAsync(message, queued: false, null);
                break;
        }
    }

    // onTrampoline: whether a local reply may run the local calls its caller makes next on this thread
    // (LocalTrampoline); only for a call started by the pool or a trampoline, whose execution context is the provider's.
    private async Task RunAdmittedAsync(TransportMessage message, MethodDescriptor method, ConcurrencyGate? methodGate, bool onTrampoline)
    {
        string? callId = message.Headers?[WireProtocol.CallIdHeader];
        var local = DeferLocal(message, method);
        var slot = new AdmittedSlot(Gate, methodGate);
        try
        {
            if (callId is not null && _admitted.TryGetValue(callId, out int cancelled) && cancelled == 1)
            {
                // Cancelled while it waited: it never runs.
                slot.Release();
                await ReplyErrorAsync(message.ReplyTo!, MaculaErrorCode.Cancelled, $"{_service.Name} on {_runtime.NodeId}: the call was cancelled before it started (Cancelled).").ConfigureAwait(false);
                return;
            }

            await HandleAsync(message, slot).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _runtime.Events.BackgroundError($"serving {_service.Name}", ex);
        }
        finally
        {
            if (callId is not null)
            {
                _admitted.TryRemove(callId, out _);
            }

            // Already released when the implementation returned; here when the call ended before it ran. A handler
            // that ignored its cancellation keeps its slot until it really returns.
            slot.Release();
            CompleteLocal(local, onTrampoline);
        }
    }

    /// <summary>An admitted call with a slot: run by the thread pool, or kept by a <see cref="LocalTrampoline"/>.</summary>
    private sealed class AdmittedCall(ProviderHost host, TransportMessage message, MethodDescriptor method, ConcurrencyGate? methodGate) : IThreadPoolWorkItem
    {
        public void Execute() => _ = host.RunAdmittedAsync(message, method, methodGate, onTrampoline: true);
    }

    private async Task RunWhenGrantedAsync(Task<bool> granted, TransportMessage message, MethodDescriptor method, ConcurrencyGate? methodGate)
    {
        // The gate completes the wait asynchronously, so this continues on the thread pool.
        if (await granted.ConfigureAwait(false))
        {
            // Resumed in the context of the call that was admitted while this one waited: no trampoline here.
            await RunAdmittedAsync(message, method, methodGate, onTrampoline: false).ConfigureAwait(false);
        }
        else
        {
            methodGate?.Exit();
            if (message.Headers?[WireProtocol.CallIdHeader] is { } callId)
            {
                _admitted.TryRemove(callId, out _);
            }

            await ShedAsync(message, queued: true, null).ConfigureAwait(false);
        }
    }

    /// <summary>A cancel for a call not in flight: marks it if it was admitted, and cancels it if it started meanwhile.</summary>
    private void CancelAdmitted(string callId)
    {
        if (_admitted.TryUpdate(callId, 1, 0) && _inFlight.TryGetValue(callId, out var cts))
        {
            // It registered between the caller's look and the mark: it may not have seen the mark.
            try
            {
                (cts as CallCancellation)?.CancelByRequest();
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Called once a call is in <see cref="InFlight"/>: a cancel that overtook it cancels it now.</summary>
    private void CancelIfCancelledEarly(string callId, CancellationTokenSource cts)
    {
        if (_admitted.TryGetValue(callId, out int cancelled) && cancelled == 1)
        {
            // A cancel by request, not the deadline: the reply says Cancelled.
            (cts as CallCancellation)?.CancelByRequest();
            cts.Cancel();
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

    private async Task ShedAsync(TransportMessage message, bool queued, ConcurrencyGate? methodGate)
    {
        try
        {
            MaculaDiagnostics.ServerShed.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.RpcService, _service.Name), new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.NodeId, _runtime.NodeId));
            if (_draining)
            {
                await ReplyErrorAsync(message.ReplyTo!, MaculaErrorCode.ShuttingDown, $"The provider {_runtime.NodeId} of '{_service.Name}' is shutting down.").ConfigureAwait(false);
                return;
            }

            string why = methodGate is not null
                ? $"{methodGate.Limit} calls of {methodGate.Method} run at once (LoadSheddingOptions.MethodLimits)"
                : queued
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
