using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Discovery;
using Macula.Serialization;
using Macula.Monitoring;
using Macula.Transport;

namespace Macula.Rpc.Server;

/// <summary>
/// Serves one service on this node: subscribes to its provider subject, runs each call on the implementation
/// (concurrently), replies with a status, honours deadlines and cancel messages, keeps the advertisement fresh, and on
/// dispose withdraws, drains and unsubscribes.
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

    private readonly IReadOnlyDictionary<string, string> _metadata;

    private ProviderHost(ProviderRuntime runtime, ServiceDescriptor service, Func<ServiceLease> activate, Action<ProviderHost> onClosed, ProviderOptions? options)
    {
        _metadata = ProviderMetadata.Compose(runtime.Options.Metadata, options ?? ProviderOptions.Default, runtime.Options.Zone, service.Contract);
        _runtime = runtime;
        _service = service;
        _activate = activate;
        _onClosed = onClosed;
        Subject = Subjects.Rpc(runtime.Realm, service.Name, runtime.NodeId);
    }

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
    public static async Task<ProviderHost> StartAsync(ProviderRuntime runtime, ServiceDescriptor service, Func<ServiceLease> activate, Action<ProviderHost> onClosed, CancellationToken cancellationToken, ProviderOptions? options = null)
    {
        var host = new ProviderHost(runtime, service, activate, onClosed, options);
        host._subscription = await runtime.Transport.SubscribeAsync(host.Subject, host.OnMessageAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        await host.AdvertiseAsync(cancellationToken).ConfigureAwait(false);
        await runtime.Announcements.AnnounceAsync(service.Name, DiscoveryEvents.Advertised).ConfigureAwait(false);
        runtime.Local?.Add(host.Subject, host);
        host._readvertise = host.ReadvertiseLoopAsync();
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
                    cts.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The call finished meanwhile.
                }
            }

            return ValueTask.CompletedTask;
        }

        if (message.ReplyTo is null)
        {
            _runtime.Events.BadMessage(Subject, "a call without a reply subject was dropped");
            return ValueTask.CompletedTask;
        }

        // Calls run concurrently: the subscription goes on to the next message at once.
        _ = HandleAsync(message);
        return ValueTask.CompletedTask;
    }

    private async Task HandleAsync(TransportMessage message)
    {
        Interlocked.Increment(ref _running);
        try
        {
            await HandleCoreAsync(message).ConfigureAwait(false);
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

    private async Task HandleCoreAsync(TransportMessage message)
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

        var now = _runtime.Time.GetUtcNow();
        bool hasDeadline = WireProtocol.TryParseDeadline(headers?[WireProtocol.DeadlineHeader], out var deadline);
        if (hasDeadline && deadline <= now)
        {
            await ReplyErrorAsync(replyTo, MaculaErrorCode.DeadlineExceeded, $"The deadline of {_service.Name}.{method.Name} passed before {_runtime.NodeId} could start it.").ConfigureAwait(false);
            return;
        }

        // A stream's open passed the same checks: the stream server serves it from here (its deadline bounds the
        // open, not the stream).
        if (method.Streaming || headers?[WireProtocol.StreamHeader] is not null)
        {
            await _runtime.Streams.ServeAsync(this, method, message).ConfigureAwait(false);
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

        string callId = headers?[WireProtocol.CallIdHeader] ?? Guid.NewGuid().ToString("N");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_runtime.Stopping);
        if (hasDeadline)
        {
            cts.CancelAfter(deadline - now);
        }

        _inFlight[callId] = cts;
        using var output = new PooledBufferWriter();
        try
        {
            ServiceLease lease = default;
            long started = _runtime.Stats.Timestamp();
            try
            {
                ValueTask running;
                try
                {
                    lease = _activate();
                    running = lease.Dispatcher.InvokeAsync(method, WireProtocol.ReadBody(message, _runtime.Options.MaxDecompressedBytes), _runtime.SerializerOptions, output, cts.Token);
                }
                catch (MaculaSerializationException ex)
                {
                    _runtime.Events.BadMessage(Subject, ex.Message);
                    await ReplyErrorAsync(replyTo, MaculaErrorCode.BadRequest, $"The arguments of {_service.Name}.{method.Name} could not be decoded: {ex.Message}").ConfigureAwait(false);
                    return;
                }

                // An implementation that throws before returning its task fails here too: an application error.
                await running.ConfigureAwait(false);
                _runtime.Stats.Record(_service.Name, method.Name, started, ServerCallOutcome.Ok, null);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                _runtime.Stats.Record(_service.Name, method.Name, started, ServerCallOutcome.Cancelled, null);
                var code = hasDeadline && _runtime.Time.GetUtcNow() >= deadline ? MaculaErrorCode.DeadlineExceeded : MaculaErrorCode.Cancelled;
                await ReplyErrorAsync(replyTo, code, $"{_service.Name}.{method.Name} on {_runtime.NodeId} was cancelled ({code}).").ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                _runtime.Stats.Record(_service.Name, method.Name, started, ServerCallOutcome.Error, ServerStats.ErrorOf(ex));
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                await ReplyAsync(replyTo, MaculaErrorCode.ApplicationError, WireProtocol.ApplicationErrorBody(ex, _runtime.Options.IncludeErrorDetails)).ConfigureAwait(false);
                return;
            }
            finally
            {
                if (lease.Lifetime is not null)
                {
                    await lease.Lifetime.DisposeAsync().ConfigureAwait(false);
                }
            }

            if (output.WrittenCount == 0)
            {
                // A method without a result still answers with one MessagePack value: nil.
                output.GetSpan(1)[0] = 0xc0;
                output.Advance(1);
            }

            using var packed = WireProtocol.ShouldCompress(_runtime.Options.Compression, method.Compression, output.WrittenCount) ? new PooledBufferWriter((output.WrittenCount / 2) + 64) : null;
            if (packed is not null && WireProtocol.TryCompress(output.WrittenSpan, packed))
            {
                await PublishReplyAsync(replyTo, WireProtocol.StatusOk, packed.WrittenMemory, compressed: true).ConfigureAwait(false);
            }
            else
            {
                await PublishReplyAsync(replyTo, WireProtocol.StatusOk, output.WrittenMemory).ConfigureAwait(false);
            }
        }
        finally
        {
            _inFlight.TryRemove(new(callId, cts));
        }
    }

    private ValueTask ReplyErrorAsync(string replyTo, MaculaErrorCode code, string message) =>
        ReplyAsync(replyTo, code, WireProtocol.ErrorBody(code, message, null));

    private ValueTask ReplyAsync(string replyTo, MaculaErrorCode code, byte[] body) =>
        PublishReplyAsync(replyTo, code.ToString(), body);

    private async ValueTask PublishReplyAsync(string replyTo, string status, ReadOnlyMemory<byte> body, bool compressed = false)
    {
        MaculaDiagnostics.ServerCalls.Add(1, new KeyValuePair<string, object?>(MaculaDiagnostics.Tags.Status, status));
        if (TryReplyLocally(replyTo, status, body, compressed))
        {
            return;
        }

        try
        {
            var headers = WireProtocol.StatusHeaders(status);
            if (compressed)
            {
                headers.Add(WireProtocol.CompressionHeader, WireProtocol.Lz4);
            }

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
        var graceEnds = _runtime.Time.GetTimestamp() + (long)(_runtime.Options.ShutdownGracePeriod.TotalSeconds * _runtime.Time.TimestampFrequency);
        while (Volatile.Read(ref _running) > 0 && _runtime.Time.GetTimestamp() < graceEnds)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        foreach (var cts in _inFlight.Values)
        {
            try
            {
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
        _onClosed(this);
    }
}
