using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Discovery;
using Macula.Rpc.Streaming;
using Macula.Serialization;
using Macula.Transport;

namespace Macula.Rpc.Server;

/// <summary>
/// Serves one service on this node: subscribes to its provider subject, runs each call on the implementation
/// (concurrently), replies with a status, honours deadlines and cancel messages, keeps the advertisement fresh, and on
/// dispose withdraws, drains and unsubscribes.
/// </summary>
internal sealed class ProviderHost : IAsyncDisposable
{
    private readonly MaculaNode _node;
    private readonly ServiceDescriptor _service;
    private readonly Func<ServiceLease> _activate;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private IAsyncDisposable? _subscription;
    private Task? _readvertise;
    private int _running;
    private volatile bool _draining;
    private int _disposed;

    private ProviderHost(MaculaNode node, ServiceDescriptor service, Func<ServiceLease> activate)
    {
        _node = node;
        _service = service;
        _activate = activate;
        Subject = WireProtocol.RpcSubject(node.Realm, service.Name, node.NodeId);
    }

    public string Subject { get; }

    public string ServiceName => _service.Name;

    public static async Task<ProviderHost> StartAsync(MaculaNode node, ServiceDescriptor service, Func<ServiceLease> activate, CancellationToken cancellationToken)
    {
        var host = new ProviderHost(node, service, activate);
        host._subscription = await node.Transport.SubscribeAsync(host.Subject, host.OnMessageAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        await host.AdvertiseAsync(cancellationToken).ConfigureAwait(false);
        await node.Events.AnnounceAsync(service.Name, DiscoveryEvents.Advertised).ConfigureAwait(false);
        host._readvertise = host.ReadvertiseLoopAsync();
        return host;
    }

    private ProviderRecord Record() => new(_node.NodeId, Subject, _node.Options.Metadata, _node.Options.AdvertiseTtl, _node.Time.GetUtcNow());

    private async Task AdvertiseAsync(CancellationToken cancellationToken)
    {
        await _node.Registry.AdvertiseAsync(_service.Name, Record(), cancellationToken).ConfigureAwait(false);
        _node.OnAdvertised(_service.Name);
    }

    private async Task ReadvertiseLoopAsync()
    {
        // Re-advertise at half the TTL, so one lost refresh does not let the record expire.
        var interval = _node.Options.AdvertiseTtl / 2;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _node.Time, _stopping.Token).ConfigureAwait(false);
                await AdvertiseAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _node.OnBackgroundError($"re-advertising {_service.Name}", ex);
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
            _node.OnBadMessage(Subject, "a call without a reply subject was dropped");
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
            _node.OnBackgroundError($"serving {_service.Name}", ex);
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
            await ReplyErrorAsync(replyTo, MaculaErrorCode.ShuttingDown, $"The provider {_node.NodeId} of '{_service.Name}' is shutting down.").ConfigureAwait(false);
            return;
        }

        string? methodName = headers?[WireProtocol.MethodHeader];
        var method = methodName is null ? null : _service.FindMethod(methodName);
        if (method is null)
        {
            string what = methodName is null ? "no method header" : $"unknown method '{methodName}'";
            _node.OnBadMessage(Subject, what);
            await ReplyErrorAsync(replyTo, MaculaErrorCode.MethodNotFound, $"The service '{_service.Name}' on {_node.NodeId} has {what}.").ConfigureAwait(false);
            return;
        }

        var now = _node.Time.GetUtcNow();
        bool hasDeadline = WireProtocol.TryParseDeadline(headers?[WireProtocol.DeadlineHeader], out var deadline);
        if (hasDeadline && deadline <= now)
        {
            await ReplyErrorAsync(replyTo, MaculaErrorCode.DeadlineExceeded, $"The deadline of {_service.Name}.{method.Name} passed before {_node.NodeId} could start it.").ConfigureAwait(false);
            return;
        }

        // Streaming hook: a stream's open passed the same checks; StreamingProvider serves it from here (its deadline
        // bounds the open, not the stream). Registered in _inFlight, so Macula-Cancel and draining stop it too.
        if (method.Streaming || headers?[StreamingProtocol.StreamHeader] is not null)
        {
            await StreamingProvider.ServeAsync(_node, _service, Subject, _activate, _inFlight, method, message).ConfigureAwait(false);
            return;
        }

        ActivityContext.TryParse(headers?[WireProtocol.TraceParentHeader], null, isRemote: true, out var parent);
        using var activity = MaculaDiagnostics.Source.StartActivity($"{_service.Name}/{method.Name}", ActivityKind.Server, parent);
        if (activity is not null)
        {
            activity.SetTag("rpc.system", "macula");
            activity.SetTag("rpc.service", _service.Name);
            activity.SetTag("rpc.method", method.Name);
            activity.SetTag("macula.node_id", _node.NodeId);
        }

        string callId = headers?[WireProtocol.CallIdHeader] ?? Guid.NewGuid().ToString("N");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_node.StoppingToken);
        if (hasDeadline)
        {
            cts.CancelAfter(deadline - now);
        }

        _inFlight[callId] = cts;
        using var output = new PooledBufferWriter();
        try
        {
            ServiceLease lease = default;
            try
            {
                ValueTask running;
                try
                {
                    lease = _activate();
                    running = lease.Dispatcher.InvokeAsync(method, WireProtocol.ReadBody(message, _node.Options.MaxDecompressedBytes), _node.SerializerOptions, output, cts.Token);
                }
                catch (MaculaSerializationException ex)
                {
                    _node.OnBadMessage(Subject, ex.Message);
                    await ReplyErrorAsync(replyTo, MaculaErrorCode.BadRequest, $"The arguments of {_service.Name}.{method.Name} could not be decoded: {ex.Message}").ConfigureAwait(false);
                    return;
                }

                // An implementation that throws before returning its task fails here too: an application error.
                await running.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                var code = hasDeadline && _node.Time.GetUtcNow() >= deadline ? MaculaErrorCode.DeadlineExceeded : MaculaErrorCode.Cancelled;
                await ReplyErrorAsync(replyTo, code, $"{_service.Name}.{method.Name} on {_node.NodeId} was cancelled ({code}).").ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                await ReplyAsync(replyTo, MaculaErrorCode.ApplicationError, WireProtocol.ApplicationErrorBody(ex, _node.Options.IncludeErrorDetails)).ConfigureAwait(false);
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

            using var packed = WireProtocol.ShouldCompress(_node.Options.Compression, method.Compression, output.WrittenCount) ? new PooledBufferWriter((output.WrittenCount / 2) + 64) : null;
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
        MaculaDiagnostics.ServerCalls.Add(1, new KeyValuePair<string, object?>("macula.status", status));
        try
        {
            var headers = WireProtocol.StatusHeaders(status);
            if (compressed)
            {
                headers.Add(WireProtocol.CompressionHeader, WireProtocol.Lz4);
            }

            await _node.Transport.PublishAsync(replyTo, body, headers).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex) when (ex.Kind == TransportErrorKind.PayloadTooLarge)
        {
            await _node.Transport.PublishAsync(replyTo, WireProtocol.ErrorBody(MaculaErrorCode.PayloadTooLarge, ex.Message, null), WireProtocol.StatusHeaders(nameof(MaculaErrorCode.PayloadTooLarge))).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            // Clients that cached this provider drop it now, before the DHT delete and the drain.
            await _node.Events.AnnounceAsync(_service.Name, DiscoveryEvents.Withdrawn).ConfigureAwait(false);
            await _node.Registry.WithdrawAsync(_service.Name, _node.NodeId, CancellationToken.None).ConfigureAwait(false);
            _node.OnWithdrawn(_service.Name);
        }
        catch (Exception ex)
        {
            _node.OnBackgroundError($"withdrawing {_service.Name}", ex);
        }

        // Drain: refuse new calls (callers fail over safely on ShuttingDown), give running ones the grace period.
        _draining = true;
        var graceEnds = _node.Time.GetTimestamp() + (long)(_node.Options.ShutdownGracePeriod.TotalSeconds * _node.Time.TimestampFrequency);
        while (Volatile.Read(ref _running) > 0 && _node.Time.GetTimestamp() < graceEnds)
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

        // Streaming hook: cancelled calls and streams get a moment (real time, at most 1 s) to send their last reply or
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
        _node.Forget(this);
    }
}
