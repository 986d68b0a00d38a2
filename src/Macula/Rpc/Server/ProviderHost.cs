using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Discovery;
using Macula.Serialization;
using Macula.Monitoring;
using Macula.Transport;

namespace Macula.Rpc.Server;

/// <summary>
/// Serves one service on this node: subscribes to its provider subject, runs each call on the implementation
/// (concurrently, on the thread pool, within its load-shedding limit: ProviderHost.Admission.cs), replies with a
/// status, honours deadlines and cancel messages, keeps the advertisement fresh, and on dispose withdraws, drains and
/// unsubscribes.
/// </summary>
internal sealed partial class ProviderHost : IAsyncDisposable
{
    private readonly ProviderRuntime _runtime;
    private readonly ServiceDescriptor _service;
    private readonly Func<ServiceLease> _activate;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private IAsyncDisposable? _subscription;
    private Task? _readvertise;
    private int _running;
    private volatile bool _draining;
    private int _disposed;

    private readonly Action<ProviderHost> _onClosed;
    private readonly IReadOnlyList<IMaculaServerFilter> _filters;

    private readonly IReadOnlyDictionary<string, string> _metadata;

    private ProviderHost(ProviderRuntime runtime, ServiceDescriptor service, Func<ServiceLease> activate, ProviderOptions options, Action<ProviderHost> onClosed)
    {
        _metadata = ProviderMetadata.Compose(runtime.Options.Metadata, options, runtime.Options.Zone, service.Contract);
        _runtime = runtime;
        // The node's filters run outside the service's; no copy when either list is empty.
        _filters = FilterList.Concat(runtime.Options.ServerFilters, options.Filters);
        _service = service;
        _activate = activate;
        _onClosed = onClosed;
        Subject = Subjects.Rpc(runtime.Realm, service.Name, runtime.NodeId);
        Gate = new ConcurrencyGate(service.Name, runtime.NodeId, runtime.Options.LoadShedding, runtime.Time);
        _methodGates = MethodGates(service, runtime);
    }

    /// <summary>The load shedding of this service's calls (ProviderHost.Admission.cs).</summary>
    public ConcurrencyGate Gate { get; }

    public string Subject { get; }

    public string ServiceName => _service.Name;

    public IReadOnlyList<MethodDescriptor> Methods => _service.Methods;

    /// <summary>The service this host serves.</summary>
    public ServiceDescriptor Service => _service;

    /// <summary>The node's parts this host serves through (streams read them too).</summary>
    public ProviderRuntime Runtime => _runtime;

    /// <summary>Makes the implementation (and its lifetime) that serves one call.</summary>
    public Func<ServiceLease> Activate => _activate;

    /// <summary>The calls and streams in flight, by call id: a cancel message or draining cancels them.</summary>
    public ConcurrentDictionary<string, CancellationTokenSource> InFlight => _inFlight;

    /// <summary>Subscribes, advertises and announces <paramref name="service"/>; <paramref name="onClosed"/> runs when the host has been disposed.</summary>
    public static async Task<ProviderHost> StartAsync(ProviderRuntime runtime, ServiceDescriptor service, Func<ServiceLease> activate, ProviderOptions options, Action<ProviderHost> onClosed, CancellationToken cancellationToken)
    {
        var host = new ProviderHost(runtime, service, activate, options, onClosed);
        host._subscription = await runtime.Transport.SubscribeAsync(host.Subject, host.OnMessageAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        await host.AdvertiseAsync(cancellationToken).ConfigureAwait(false);
        await runtime.Announcements.AnnounceAsync(service.Name, DiscoveryEvents.Advertised).ConfigureAwait(false);
        runtime.Local?.Add(host.Subject, host);
        host._readvertise = host.ReadvertiseLoopAsync();
        host.RegisterGates();
        return host;
    }

    private ProviderRecord Record() => new(_runtime.NodeId, Subject, _metadata, _runtime.Options.AdvertiseTtl, _runtime.Time.GetUtcNow());

    private async Task AdvertiseAsync(CancellationToken cancellationToken)
    {
        await _runtime.Registry.AdvertiseAsync(_service.Name, Record(), cancellationToken).ConfigureAwait(false);
        _runtime.Events.Advertised(_service.Name);
    }

    private async Task ReadvertiseLoopAsync()
    {
        // Re-advertise at half the TTL, so one lost refresh does not let the record expire.
        var interval = _runtime.Options.AdvertiseTtl / 2;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _runtime.Time, _stopping.Token).ConfigureAwait(false);
                await AdvertiseAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _runtime.Events.BackgroundError($"re-advertising {_service.Name}", ex);
            }
        }
    }

    private ValueTask OnMessageAsync(TransportMessage message)
    {
        var headers = message.Headers;
        if (headers is not null && headers.TryGetValue(WireProtocol.CancelHeader, out string cancelId))
        {
            if (_inFlight.TryGetValue(cancelId, out var cts))
            {
                try
                {
                    (cts as CallCancellation)?.CancelByRequest();
                    cts.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The call finished meanwhile.
                }
            }
            else
            {
                // Admitted but not started yet (queued, or on its way to a pool thread): ProviderHost.Admission.cs.
                CancelAdmitted(cancelId);
            }

            return ValueTask.CompletedTask;
        }

        if (message.ReplyTo is null)
        {
            _runtime.Events.BadMessage(Subject, "a call without a reply subject was dropped");
            return ValueTask.CompletedTask;
        }

        Admit(message);
        return ValueTask.CompletedTask;
    }

    private async Task HandleAsync(TransportMessage message, AdmittedSlot? slot = null)
    {
        Interlocked.Increment(ref _running);
        try
        {
            await HandleCoreAsync(message, slot).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _runtime.Events.BackgroundError($"serving {_service.Name}", ex);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task HandleCoreAsync(TransportMessage message, AdmittedSlot? slot)
    {
        string replyTo = message.ReplyTo!;
        var headers = message.Headers;
        if (_draining)
        {
            await ReplyErrorAsync(replyTo, MaculaErrorCode.ShuttingDown, $"The provider {_runtime.NodeId} of '{_service.Name}' is shutting down.").ConfigureAwait(false);
            return;
        }

        string? methodName = headers?[WireProtocol.MethodHeader];
        var method = methodName is null ? null : _service.FindMethod(methodName);
        if (method is null)
        {
            string what = methodName is null ? "no method header" : $"unknown method '{methodName}'";
            _runtime.Events.BadMessage(Subject, what);
            await ReplyErrorAsync(replyTo, MaculaErrorCode.MethodNotFound, $"The service '{_service.Name}' on {_runtime.NodeId} has {what}.").ConfigureAwait(false);
            return;
        }

        // The deadline on this node's clock: the time the request arrived plus the budget the caller sent (skew-safe);
        // an older caller's absolute deadline is read when it sent no budget.
        var now = _runtime.Time.GetUtcNow();
        DateTimeOffset? deadline = WireProtocol.TryParseTimeout(headers?[WireProtocol.TimeoutHeader], out var budget) ? now + budget
            : WireProtocol.TryParseDeadline(headers?[WireProtocol.DeadlineHeader], out var absolute) ? absolute : null;
        if (deadline <= now)
        {
            await ReplyErrorAsync(replyTo, MaculaErrorCode.DeadlineExceeded, $"The deadline of {_service.Name}.{method.Name} passed before {_runtime.NodeId} could start it.").ConfigureAwait(false);
            return;
        }

        MaculaMetadata? requestMetadata;
        try
        {
            requestMetadata = WireProtocol.ReadMetadata(headers);
        }
        catch (MaculaSerializationException ex)
        {
            _runtime.Events.BadMessage(Subject, ex.Message);
            await ReplyErrorAsync(replyTo, MaculaErrorCode.BadRequest, $"The metadata of {_service.Name}.{method.Name} was refused: {ex.Message}").ConfigureAwait(false);
            return;
        }

        string callId = headers?[WireProtocol.CallIdHeader] ?? CallIds.New();
        int attempt = int.TryParse(headers?[WireProtocol.AttemptHeader], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int a) && a > 0 ? a : 1;
        string? caller = headers?[WireProtocol.CallerHeader] is { } claimed && Validation.IsDhtNodeId(claimed) ? claimed : null;

        // A stream's open passed the same checks: the stream server serves it from here (its deadline bounds the
        // open, not the stream), through the server filters when there are any.
        if (method.Streaming || method.ClientStreaming || headers?[WireProtocol.StreamHeader] is not null)
        {
            // The stream's implementation sees the context too; its token is the node's stopping token (the stream's
            // own cancellation reaches the implementation through its enumerator's token).
            var streamContext = new MaculaCallContext(_service.Name, method.Name, callId, caller, attempt, deadline, requestMetadata, _runtime.Stopping, _runtime.Time);
            if (_filters.Count == 0)
            {
                var before = MaculaCallContext.Enter(streamContext);
                try
                {
                    await _runtime.Streams.ServeAsync(this, method, message).ConfigureAwait(false);
                }
                finally
                {
                    MaculaCallContext.Enter(before);
                }

                return;
            }

            var refusal = await ServerFilterChain.RunAsync(_filters, streamContext, _ => new ValueTask(_runtime.Streams.ServeAsync(this, method, message))).ConfigureAwait(false);
            if (refusal is { } refused)
            {
                await ReplyErrorAsync(replyTo, refused.Code, refused.Message, streamContext.ResponseMetadataOrNull).ConfigureAwait(false);
            }

            return;
        }

        ActivityContext.TryParse(headers?[WireProtocol.TraceParentHeader], null, isRemote: true, out var parent);
        using var activity = MaculaDiagnostics.Source.StartActivity($"{_service.Name}/{method.Name}", ActivityKind.Server, parent);
        if (activity is not null)
        {
            activity.SetTag(MaculaDiagnostics.Tags.RpcSystem, MaculaDiagnostics.Tags.RpcSystemValue);
            activity.SetTag(MaculaDiagnostics.Tags.RpcService, _service.Name);
            activity.SetTag(MaculaDiagnostics.Tags.RpcMethod, method.Name);
            activity.SetTag(MaculaDiagnostics.Tags.NodeId, _runtime.NodeId);
        }

        // A one-way call's deadline bounds its delivery (checked above), not the implementation nobody waits for.
        using var cts = CallCancellation.Start(method.OneWay ? null : deadline - now, _runtime.Time, _runtime.Stopping);
        var context = new MaculaCallContext(_service.Name, method.Name, callId, caller, attempt, deadline, requestMetadata, cts.Token, _runtime.Time);
        _inFlight[callId] = cts;
        CancelIfCancelledEarly(callId, cts);
        using var output = new PooledBufferWriter();
        bool acknowledged = false;
        async ValueTask AcknowledgeOneWayAsync()
        {
            acknowledged = true;
            await PublishReplyAsync(replyTo, WireProtocol.StatusOk, WireProtocol.NilBody).ConfigureAwait(false);
        }

        try
        {
            long started = _runtime.Stats.Timestamp();
            // Current for the rest of this call only: the change ends with this async method, so the caller's flow
            // never sees it (no restore needed, and none allocated).
            MaculaCallContext.Enter(context);
            try
            {
                (MaculaErrorCode Code, string Message)? refusal = null;
                if (_filters.Count == 0)
                {
                    // No filters: the implementation runs straight from here, with nothing allocated for a pipeline.
                    ServiceLease lease = default;
                    try
                    {
                        ValueTask running = default;
                        try
                        {
                            lease = _activate();
                            running = lease.Dispatcher.InvokeAsync(method, WireProtocol.ReadBody(message, _runtime.Options.MaxDecompressedBytes), _runtime.SerializerOptions, output, cts.Token);
                        }
                        catch (MaculaSerializationException ex)
                        {
                            _runtime.Events.BadMessage(Subject, ex.Message);
                            refusal = (MaculaErrorCode.BadRequest, $"The arguments of {_service.Name}.{method.Name} could not be decoded: {ex.Message}");
                        }

                        if (method.OneWay && refusal is null)
                        {
                            // Delivered: the arguments were read and the implementation started; the caller goes on now.
                            await AcknowledgeOneWayAsync().ConfigureAwait(false);
                        }

                        // An implementation that throws before returning its task fails here too: an application error.
                        await running.ConfigureAwait(false);
                    }
                    finally
                    {
                        if (lease.Lifetime is not null)
                        {
                            await lease.Lifetime.DisposeAsync().ConfigureAwait(false);
                        }

                        // The implementation has returned: its slot is free before the reply goes out.
                        slot?.Release();
                    }
                }
                else
                {
                    // A one-way call is acknowledged once the filters let the implementation start, as without filters.
                    var served = new ServedCall(this, method, message, output, context, method.OneWay ? AcknowledgeOneWayAsync : null);
                    try
                    {
                        refusal = await ServerFilterChain.RunAsync(_filters, context, served).ConfigureAwait(false);
                    }
                    finally
                    {
                        await served.DisposeLeaseAsync().ConfigureAwait(false);
                        slot?.Release();
                    }
                }

                if (refusal is { } refused && !acknowledged)
                {
                    // A bad request, or a filter that ended the call with a status (Unauthenticated, ...).
                    _runtime.Stats.Record(_service.Name, method.Name, started, ServerCallOutcome.Error, refused.Code.ToString());
                    await ReplyErrorAsync(replyTo, refused.Code, refused.Message, context.ResponseMetadataOrNull).ConfigureAwait(false);
                    return;
                }

                _runtime.Stats.Record(_service.Name, method.Name, started, ServerCallOutcome.Ok, null);
            }
            catch (Exception ex) when (cts.IsCancellationRequested && (ex is OperationCanceledException || ex is MaculaRpcException || ex.InnerException is OperationCanceledException))
            {
                // The call was stopped and the handler ended because of it (its own cancellation, or a call it made
                // that the propagated deadline or cancel ended): the status says which, by what fired the token.
                _runtime.Stats.Record(_service.Name, method.Name, started, ServerCallOutcome.Cancelled, null);
                var code = cts.DeadlinePassed ? MaculaErrorCode.DeadlineExceeded : MaculaErrorCode.Cancelled;
                if (acknowledged)
                {
                    return;
                }

                await ReplyErrorAsync(replyTo, code, $"{_service.Name}.{method.Name} on {_runtime.NodeId} was cancelled ({code}).", context.ResponseMetadataOrNull).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                _runtime.Stats.Record(_service.Name, method.Name, started, ServerCallOutcome.Error, ServerStats.ErrorOf(ex));
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                if (acknowledged)
                {
                    // Nobody waits for a one-way call's outcome: the provider's own events are where it shows.
                    _runtime.Events.BackgroundError($"the one-way call {_service.Name}.{method.Name}", ex);
                    return;
                }

                await ReplyAsync(replyTo, MaculaErrorCode.ApplicationError, WireProtocol.ApplicationErrorBody(ex, _runtime.Options.IncludeErrorDetails), context.ResponseMetadataOrNull).ConfigureAwait(false);
                return;
            }

            if (acknowledged)
            {
                return;
            }

            if (output.WrittenCount == 0)
            {
                // A method without a result still answers with one MessagePack value: nil.
                output.GetSpan(1)[0] = 0xc0;
                output.Advance(1);
            }

            var responseMetadata = context.ResponseMetadataOrNull;
            using var packed = WireProtocol.ShouldCompress(_runtime.Options.Compression, method.Compression, output.WrittenCount) ? new PooledBufferWriter((output.WrittenCount / 2) + 64) : null;
            if (packed is not null && WireProtocol.TryCompress(output.WrittenSpan, packed))
            {
                await PublishReplyAsync(replyTo, WireProtocol.StatusOk, packed.WrittenMemory, compressed: true, responseMetadata).ConfigureAwait(false);
            }
            else
            {
                await PublishReplyAsync(replyTo, WireProtocol.StatusOk, output.WrittenMemory, metadata: responseMetadata).ConfigureAwait(false);
            }
        }
        finally
        {
            _inFlight.TryRemove(new(callId, cts));
        }
    }

    private ValueTask ReplyErrorAsync(string replyTo, MaculaErrorCode code, string message, MaculaMetadata? metadata = null) =>
        ReplyAsync(replyTo, code, WireProtocol.ErrorBody(code, message, null), metadata);

    private ValueTask ReplyAsync(string replyTo, MaculaErrorCode code, byte[] body, MaculaMetadata? metadata = null) =>
        PublishReplyAsync(replyTo, code.ToString(), body, metadata: metadata);

    private async ValueTask PublishReplyAsync(string replyTo, string status, ReadOnlyMemory<byte> body, bool compressed = false, MaculaMetadata? metadata = null)
    {
        MaculaDiagnostics.ServerCalls.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Status, status));
        var headers = WireProtocol.StatusHeaders(status);
        if (compressed)
        {
            headers.Add(WireProtocol.CompressionHeader, WireProtocol.Lz4);
        }

        if (metadata is not null)
        {
            int size = Validation.MetadataSize(metadata);
            if (size > Validation.MaxMetadataBytes)
            {
                // The implementation's own mistake: the caller gets the error, not a reply it would refuse.
                body = WireProtocol.ErrorBody(MaculaErrorCode.PayloadTooLarge, $"The response metadata takes {size} bytes, more than the limit of {Validation.MaxMetadataBytes}.", null);
                headers = WireProtocol.StatusHeaders(nameof(MaculaErrorCode.PayloadTooLarge));
            }
            else
            {
                WireProtocol.WriteMetadata(headers, metadata);
            }
        }

        if (TryReplyLocally(replyTo, headers, body))
        {
            return;
        }

        try
        {
            await _runtime.Transport.PublishAsync(replyTo, body, headers).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex) when (ex.Kind == TransportErrorKind.PayloadTooLarge)
        {
            await _runtime.Transport.PublishAsync(replyTo, WireProtocol.ErrorBody(MaculaErrorCode.PayloadTooLarge, ex.Message, null), WireProtocol.StatusHeaders(nameof(MaculaErrorCode.PayloadTooLarge))).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _runtime.Local?.Remove(Subject, this);
        try
        {
            // Clients that cached this provider drop it now, before the DHT delete and the drain.
            await _runtime.Announcements.AnnounceAsync(_service.Name, DiscoveryEvents.Withdrawn).ConfigureAwait(false);
            await _runtime.Registry.WithdrawAsync(_service.Name, _runtime.NodeId, CancellationToken.None).ConfigureAwait(false);
            _runtime.Events.Withdrawn(_service.Name);
        }
        catch (Exception ex)
        {
            _runtime.Events.BackgroundError($"withdrawing {_service.Name}", ex);
        }

        // Drain: refuse new calls (callers fail over safely on ShuttingDown), give running ones the grace period.
        _draining = true;
        Gate.ShedQueued();
        var graceEnds = _runtime.Time.GetTimestamp() + (long)(_runtime.Options.ShutdownGracePeriod.TotalSeconds * _runtime.Time.TimestampFrequency);
        while (Volatile.Read(ref _running) > 0 && _runtime.Time.GetTimestamp() < graceEnds)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        foreach (var cts in _inFlight.Values)
        {
            try
            {
                (cts as CallCancellation)?.CancelByRequest();
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        // Cancelled calls and streams get a moment (real time, at most 1 s) to send their last reply or
        // end message before the subscription and the transport go, so their clients hear Cancelled, not silence.
        long cancelledAt = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _running) > 0 && Stopwatch.GetElapsedTime(cancelledAt) < TimeSpan.FromSeconds(1))
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        if (_subscription is not null)
        {
            await _subscription.DisposeAsync().ConfigureAwait(false);
        }

        if (_readvertise is not null)
        {
            await _readvertise.ConfigureAwait(false);
        }

        _stopping.Dispose();
        UnregisterGates();
        _onClosed(this);
    }
}
