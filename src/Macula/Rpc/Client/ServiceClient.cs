using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Macula.Discovery;
using Macula.Rpc.Streaming;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Rpc.Client;

/// <summary>
/// Sends the calls of one generated proxy: discovers providers, picks one per attempt, calls exactly that provider's
/// subject and fails over by the rules in docs/rpc-semantics.md.
/// </summary>
internal sealed class ServiceClient : IMaculaInvoker
{
    private readonly MaculaNode _node;
    private readonly ServiceDescriptor _service;
    private readonly ClientOptions _options;
    private readonly CallOptions? _call;
    private readonly ClientState _state;

    public ServiceClient(MaculaNode node, ServiceDescriptor service, ClientOptions options, CallOptions? call, ClientState state)
    {
        _node = node;
        _service = service;
        _options = options;
        _call = call;
        _state = state;
    }

    public IMaculaInvoker WithOptions(CallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (_call is not null)
        {
            options = new CallOptions
            {
                Strategy = options.Strategy ?? _call.Strategy,
                MaxAttempts = options.MaxAttempts ?? _call.MaxAttempts,
                Timeout = options.Timeout ?? _call.Timeout,
                HedgeAfter = options.HedgeAfter ?? _call.HedgeAfter,
            };
        }

        return new ServiceClient(_node, _service, _options, options, _state);
    }

    // Pooled state machines: a call's async frames are reused instead of allocated (about 1 KB per call).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TResult> InvokeAsync<TArgs, TResult>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TResult> resultFormatter, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, argumentsFormatter, cancellationToken).ConfigureAwait(false);
        try
        {
            return MaculaSerializer.Deserialize(WireProtocol.ReadBody(reply.Message, _node.Options.MaxDecompressedBytes), resultFormatter, _node.SerializerOptions);
        }
        catch (MaculaSerializationException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The reply of {_service.Name}.{method.Name} from {reply.NodeId} could not be decoded: {ex.Message}", reply.Attempts, ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask InvokeAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken)
    {
        await SendAsync(method, arguments, argumentsFormatter, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IMessagePackFormatter<TItem> itemFormatter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(argumentsFormatter);
        ArgumentNullException.ThrowIfNull(itemFormatter);
        return new StreamingCall<TArgs, TItem>(this, _node, _service.Name, _options.Streams, method, arguments, argumentsFormatter, itemFormatter, cancellationToken);
    }

    // Streaming hook (StreamingClient.cs): a stream's open is one call through the same selection and failover (no
    // hedging); the opener adds the stream headers and a fresh inbox to each attempt.
    internal async ValueTask<(TransportMessage Reply, string NodeId, IReadOnlyList<MaculaAttempt>? Attempts)> OpenStreamAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, StreamOpener opener, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, argumentsFormatter, cancellationToken, opener).ConfigureAwait(false);
        return (reply.Message, reply.NodeId, reply.Attempts);
    }

    public async ValueTask<ReadOnlyMemory<byte>> InvokeRawAsync(MethodDescriptor method, ReadOnlyMemory<byte> arguments, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, arguments, RawFormatter.Instance, cancellationToken).ConfigureAwait(false);
        try
        {
            return WireProtocol.ReadBody(reply.Message, _node.Options.MaxDecompressedBytes);
        }
        catch (MaculaSerializationException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.BadRequest, $"The reply of {_service.Name}.{method.Name} from {reply.NodeId} could not be decoded: {ex.Message}", reply.Attempts, ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Reply> SendAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken, StreamOpener? opener = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = MaculaDiagnostics.Source.HasListeners()
            ? MaculaDiagnostics.Source.StartActivity($"{_service.Name}/{method.Name}", ActivityKind.Client)
            : null;
        if (activity is not null)
        {
            activity.SetTag("rpc.system", "macula");
            activity.SetTag("rpc.service", _service.Name);
            activity.SetTag("rpc.method", method.Name);
        }

        var tags = new TagList { { "rpc.service", _service.Name }, { "rpc.method", method.Name } };
        long started = Stopwatch.GetTimestamp();
        MaculaDiagnostics.InFlight.Add(1, tags);
        try
        {
            return await SendCoreAsync(method, arguments, argumentsFormatter, cancellationToken, opener).ConfigureAwait(false);
        }
        catch (MaculaRpcException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.SetTag("macula.error_code", ex.Code.ToString());
            var errorTags = tags;
            errorTags.Add("macula.error_code", ex.Code.ToString());
            MaculaDiagnostics.Errors.Add(1, errorTags);
            throw;
        }
        finally
        {
            MaculaDiagnostics.InFlight.Add(-1, tags);
            MaculaDiagnostics.Calls.Add(1, tags);
            MaculaDiagnostics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Reply> SendCoreAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, CancellationToken cancellationToken, StreamOpener? opener)
    {
        // A cyclic or too deep argument fails here, before anything is sent, as a MaculaSerializationException.
        using var plain = new PooledBufferWriter();
        MaculaSerializer.Serialize(plain, arguments, argumentsFormatter, _node.SerializerOptions);
        bool compress = WireProtocol.ShouldCompress(_options.Compression ?? _node.Options.Compression, method.Compression, plain.WrittenCount);
        using var packed = compress ? new PooledBufferWriter((plain.WrittenCount / 2) + 64) : null;
        bool compressed = packed is not null && WireProtocol.TryCompress(plain.WrittenSpan, packed);
        var body = compressed ? packed! : plain;
        if (body.WrittenCount > _node.Transport.MaxPayload)
        {
            throw new MaculaRpcException(MaculaErrorCode.PayloadTooLarge, $"The arguments of {_service.Name}.{method.Name} take {body.WrittenCount} bytes{(compressed ? " compressed" : string.Empty)}, more than the transport's maximum payload of {_node.Transport.MaxPayload} bytes.");
        }

        var strategy = _call?.Strategy ?? _options.Strategy;
        var timeout = _call?.Timeout ?? (method.TimeoutMs > 0 ? TimeSpan.FromMilliseconds(method.TimeoutMs) : _options.Timeout);
        var hedgeAfter = method.Idempotent && opener is null ? _call?.HedgeAfter ?? _options.HedgeAfter : null;
        var discovery = _node.Discovery;
        var providers = await discovery.GetAsync(_service.Name, cancellationToken).ConfigureAwait(false);
        if (providers.Entries.Length == 0)
        {
            throw new MaculaRpcException(MaculaErrorCode.ServiceNotFound, $"No provider of the service '{_service.Name}' was found in realm '{_node.Realm}'.");
        }

        int? configuredAttempts = _call?.MaxAttempts ?? (method.MaxAttempts > 0 ? method.MaxAttempts : _options.MaxAttempts);
        int maxAttempts = configuredAttempts ?? Math.Min(3, providers.Entries.Length);
        string callId = Guid.NewGuid().ToString("N");
        List<string>? excluded = null;
        List<MaculaAttempt>? attempts = null;
        bool refreshed = false;

        for (int attempt = 1; ; attempt++)
        {
            int index = ProviderSelector.Select(strategy, providers.Entries, excluded, ref _state.RoundRobin);
            if (index < 0 && !refreshed)
            {
                // Every cached provider failed: the cache may be stale, so look once more before giving up.
                refreshed = true;
                discovery.Invalidate(_service.Name, providers);
                providers = await discovery.RefreshAsync(_service.Name, cancellationToken).ConfigureAwait(false);
                index = ProviderSelector.Select(strategy, providers.Entries, excluded, ref _state.RoundRobin);
            }

            if (index < 0)
            {
                discovery.Invalidate(_service.Name, providers);
                throw new MaculaRpcException(MaculaErrorCode.AllProvidersFailed, $"All {excluded?.Count ?? 0} providers of '{_service.Name}' failed {_service.Name}.{method.Name}: {Describe(attempts)}", attempts);
            }

            var provider = providers.Entries[index];
            Outcome outcome;
            if (hedgeAfter is { } delay && attempt < maxAttempts && providers.Entries.Length > 1 + (excluded?.Count ?? 0))
            {
                var (first, second) = await HedgeAsync(method, callId, attempt, body.WrittenMemory, compressed, timeout, delay, strategy, providers, provider, excluded, attempts, cancellationToken).ConfigureAwait(false);
                if (first.Reply is { } hedgedReply)
                {
                    return new Reply(hedgedReply, first.Provider.NodeId, attempts);
                }

                if (second is { } other)
                {
                    // Both hedged attempts failed: the first to fail is recorded first.
                    RecordFailure(method, first, ref attempts, ref excluded);
                    if (first.Failure == MaculaErrorCode.BadRequest)
                    {
                        throw Refused(method, first, attempts);
                    }

                    attempt++;
                    outcome = other;
                }
                else
                {
                    outcome = first;
                }
            }
            else
            {
                outcome = await AttemptAsync(provider, method, callId, attempt, body.WrittenMemory, compressed, timeout, attempts, cancellationToken, opener).ConfigureAwait(false);
                if (outcome.Reply is { } reply)
                {
                    return new Reply(reply, provider.NodeId, attempts);
                }
            }

            RecordFailure(method, outcome, ref attempts, ref excluded);
            if (outcome.Failure == MaculaErrorCode.BadRequest)
            {
                throw Refused(method, outcome, attempts);
            }

            provider = outcome.Provider;
            if (!method.Idempotent && !outcome.NeverRan)
            {
                // The request may have reached the provider: running it elsewhere could run it twice.
                throw new MaculaRpcException(outcome.Failure, $"{_service.Name}.{method.Name} is not idempotent and its attempt on {provider.NodeId} failed after the request may have reached it ({outcome.Cause}); not retried.", attempts);
            }

            if (attempt >= maxAttempts)
            {
                bool allTried = true;
                foreach (var entry in providers.Entries)
                {
                    if (!excluded!.Contains(entry.NodeId))
                    {
                        allTried = false;
                        break;
                    }
                }

                if (allTried && !refreshed && configuredAttempts is null)
                {
                    // Every cached provider failed: look once more; providers that are new get the default attempts.
                    refreshed = true;
                    discovery.Invalidate(_service.Name, providers);
                    providers = await discovery.RefreshAsync(_service.Name, cancellationToken).ConfigureAwait(false);
                    int fresh = 0;
                    foreach (var entry in providers.Entries)
                    {
                        if (!excluded!.Contains(entry.NodeId))
                        {
                            fresh++;
                        }
                    }

                    if (fresh > 0)
                    {
                        maxAttempts = attempt + Math.Min(3, fresh);
                        ReportFailover(method, provider, outcome.Cause);
                        continue;
                    }
                }

                if (allTried)
                {
                    discovery.Invalidate(_service.Name, providers);
                    throw new MaculaRpcException(MaculaErrorCode.AllProvidersFailed, $"All {excluded!.Count} providers of '{_service.Name}' failed {_service.Name}.{method.Name}: {Describe(attempts)}", attempts);
                }

                throw new MaculaRpcException(MaculaErrorCode.MaxAttemptsExceeded, $"{_service.Name}.{method.Name} failed {attempts!.Count} attempts (the maximum): {Describe(attempts)}", attempts);
            }

            ReportFailover(method, provider, outcome.Cause);
        }
    }

    /// <summary>
    /// A provider could not decode the request (too deep, malformed, a type it reads differently): every provider of
    /// the service reads it with the same contract, so trying the others would only repeat the refusal.
    /// </summary>
    private MaculaRpcException Refused(MethodDescriptor method, in Outcome outcome, List<MaculaAttempt>? attempts) =>
        new(MaculaErrorCode.BadRequest, $"{outcome.Provider.NodeId} refused the request of {_service.Name}.{method.Name} ({outcome.Cause}); not retried on other providers, which read it the same way.", attempts);

    private void ReportFailover(MethodDescriptor method, ProviderEntry provider, string cause)
    {
        _node.OnFailover(_service.Name, method.Name, provider.NodeId, cause);
        MaculaDiagnostics.Failovers.Add(1, new TagList { { "rpc.service", _service.Name }, { "rpc.method", method.Name } });
    }

    private void RecordFailure(MethodDescriptor method, in Outcome outcome, ref List<MaculaAttempt>? attempts, ref List<string>? excluded)
    {
        (attempts ??= []).Add(new MaculaAttempt(outcome.Provider.NodeId, outcome.Failure, outcome.Cause, outcome.Elapsed));
        (excluded ??= []).Add(outcome.Provider.NodeId);
        if (outcome.Failure is MaculaErrorCode.NoResponders or MaculaErrorCode.ShuttingDown)
        {
            // The provider is gone or leaving: later calls should not pick it from the cache again.
            _node.Discovery.Evict(_service.Name, outcome.Provider.NodeId);
        }
    }

    /// <summary>
    /// Runs one attempt on <paramref name="provider"/> and updates its health. Returns the reply, or how the attempt
    /// failed; throws <see cref="MaculaRemoteException"/> for an application error, and rethrows cancellation after
    /// telling the provider.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> AttemptAsync(ProviderEntry provider, MethodDescriptor method, string callId, int attempt, ReadOnlyMemory<byte> body, bool compressed, TimeSpan timeout, List<MaculaAttempt>? attempts, CancellationToken cancellationToken, StreamOpener? opener = null)
    {
        var headers = new MaculaHeaders(6);
        headers.Add(WireProtocol.MethodHeader, method.Name);
        headers.Add(WireProtocol.CallIdHeader, callId);
        headers.Add(WireProtocol.AttemptHeader, attempt.ToString(CultureInfo.InvariantCulture));
        headers.Add(WireProtocol.DeadlineHeader, WireProtocol.FormatDeadline(_node.Time.GetUtcNow() + timeout));
        if (compressed)
        {
            headers.Add(WireProtocol.CompressionHeader, WireProtocol.Lz4);
        }

        if (opener is not null)
        {
            // Streaming hook: this attempt's inbox and stream headers (the previous attempt's inbox is closed).
            await opener.BeginAttemptAsync(provider.Subject, callId, headers, cancellationToken).ConfigureAwait(false);
        }

        using var attemptActivity = MaculaDiagnostics.Source.StartActivity("attempt", ActivityKind.Client);
        if (attemptActivity is not null)
        {
            attemptActivity.SetTag("macula.node_id", provider.NodeId);
            attemptActivity.SetTag("macula.attempt", attempt);
        }

        if ((attemptActivity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } trace)
        {
            headers.Add(WireProtocol.TraceParentHeader, trace.Id!);
        }

        long started = Stopwatch.GetTimestamp();
        provider.Health.OnStart();
        MaculaErrorCode failure;
        string cause;
        bool neverRan;
        try
        {
            var message = await _node.Transport.RequestAsync(provider.Subject, body, headers, timeout, cancellationToken).ConfigureAwait(false);
            string status = message.Headers?[WireProtocol.StatusHeader] ?? WireProtocol.StatusOk;
            if (status == WireProtocol.StatusOk)
            {
                if (provider.Health.OnSuccess(Stopwatch.GetElapsedTime(started)) is { } closed)
                {
                    _node.OnCircuitChanged(_service.Name, provider.NodeId, closed);
                }

                return new Outcome(provider, message, default, string.Empty, false, default);
            }

            failure = WireProtocol.ParseStatus(status);
            var (errorMessage, errorType) = WireProtocol.ReadErrorBody(message.Payload);
            if (failure == MaculaErrorCode.ApplicationError)
            {
                // The provider is healthy: the implementation threw. Never retried.
                provider.Health.OnSuccess(Stopwatch.GetElapsedTime(started));
                var all = attempts is null ? new List<MaculaAttempt>(1) : new List<MaculaAttempt>(attempts);
                all.Add(new MaculaAttempt(provider.NodeId, failure, errorMessage, Stopwatch.GetElapsedTime(started)));
                throw new MaculaRemoteException(errorType ?? "", errorMessage, provider.NodeId, all);
            }

            cause = $"{failure}: {errorMessage}";
            neverRan = failure is MaculaErrorCode.MethodNotFound or MaculaErrorCode.BadRequest or MaculaErrorCode.ShuttingDown
                or MaculaErrorCode.Overloaded or MaculaErrorCode.DeadlineExceeded;
        }
        catch (MaculaTransportException ex) when (ex.Kind is not (TransportErrorKind.Closed or TransportErrorKind.PayloadTooLarge))
        {
            failure = ex.Kind switch
            {
                TransportErrorKind.NoResponders => MaculaErrorCode.NoResponders,
                TransportErrorKind.Timeout => MaculaErrorCode.Timeout,
                _ => MaculaErrorCode.ConnectionLost,
            };
            cause = ex.Message;
            neverRan = ex.NotDelivered;
        }
        catch (MaculaTransportException ex)
        {
            provider.Health.OnNeutral();
            var code = ex.Kind == TransportErrorKind.PayloadTooLarge ? MaculaErrorCode.PayloadTooLarge : MaculaErrorCode.ConnectionLost;
            throw new MaculaRpcException(code, $"{_service.Name}.{method.Name} could not be sent: {ex.Message}", attempts, ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            provider.Health.OnNeutral();
            await SendCancelAsync(provider.Subject, callId).ConfigureAwait(false);
            throw;
        }

        attemptActivity?.SetStatus(ActivityStatusCode.Error, cause);
        if (provider.Health.OnFailure(cause) is { } changed)
        {
            _node.OnCircuitChanged(_service.Name, provider.NodeId, changed);
        }

        return new Outcome(provider, null, failure, cause, neverRan, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Starts an attempt and, if it has not answered after <paramref name="hedgeAfter"/>, a second one on another
    /// provider. The first success wins and the other attempt is cancelled (its provider is told). Returns the success,
    /// or the failed outcomes in the order they ended (the second is null when no hedge was started).
    /// </summary>
    private async Task<(Outcome First, Outcome? Second)> HedgeAsync(MethodDescriptor method, string callId, int attempt, ReadOnlyMemory<byte> body, bool compressed, TimeSpan timeout, TimeSpan hedgeAfter, SelectionStrategy strategy, ProviderSet providers, ProviderEntry provider, List<string>? excluded, List<MaculaAttempt>? attempts, CancellationToken cancellationToken)
    {
        using var firstCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = AttemptAsync(provider, method, callId, attempt, body, compressed, timeout, attempts, firstCts.Token).AsTask();
        using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(hedgeAfter, _node.Time, delayCts.Token);
        if (await Task.WhenAny(first, delay).ConfigureAwait(false) == first)
        {
            delayCts.Cancel();
            return (await first.ConfigureAwait(false), null);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var notFirst = excluded is null ? new List<string>(1) : new List<string>(excluded);
        notFirst.Add(provider.NodeId);
        int index = ProviderSelector.Select(strategy, providers.Entries, notFirst, ref _state.RoundRobin);
        if (index < 0)
        {
            return (await first.ConfigureAwait(false), null);
        }

        var hedge = providers.Entries[index];
        MaculaDiagnostics.Hedges.Add(1, new TagList { { "rpc.service", _service.Name }, { "rpc.method", method.Name } });
        using var secondCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var second = AttemptAsync(hedge, method, callId, attempt + 1, body, compressed, timeout, attempts, secondCts.Token).AsTask();

        var winner = await Task.WhenAny(first, second).ConfigureAwait(false);
        var (loser, loserCts) = winner == first ? (second, secondCts) : (first, firstCts);
        Outcome won;
        try
        {
            won = await winner.ConfigureAwait(false);
        }
        catch (MaculaRemoteException)
        {
            await CancelLoserAsync(loser, loserCts).ConfigureAwait(false);
            throw;
        }

        if (won.Reply is not null)
        {
            await CancelLoserAsync(loser, loserCts).ConfigureAwait(false);
            return (won, null);
        }

        var last = await loser.ConfigureAwait(false);
        return last.Reply is not null ? (last, null) : (won, last);
    }

    private static async Task CancelLoserAsync(Task<Outcome> loser, CancellationTokenSource loserCts)
    {
        loserCts.Cancel();
        try
        {
            await loser.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loser's fate does not matter: its provider was told to stop, and the call already has its answer.
        }
    }

    private async ValueTask SendCancelAsync(string subject, string callId)
    {
        try
        {
            var headers = new MaculaHeaders(1);
            headers.Add(WireProtocol.CancelHeader, callId);
            await _node.Transport.PublishAsync(subject, ReadOnlyMemory<byte>.Empty, headers).ConfigureAwait(false);
        }
        catch (MaculaTransportException)
        {
            // Best effort: the provider's deadline stops the handler anyway.
        }
    }

    private static string Describe(List<MaculaAttempt>? attempts)
    {
        if (attempts is null || attempts.Count == 0)
        {
            return "no attempt was made";
        }

        var parts = new string[attempts.Count];
        for (int i = 0; i < attempts.Count; i++)
        {
            var a = attempts[i];
            parts[i] = $"#{i + 1} {a.NodeId}: {a.Code} after {a.Duration.TotalMilliseconds:0.#} ms ({a.Message})";
        }

        return string.Join("; ", parts);
    }

    private readonly record struct Reply(TransportMessage Message, string NodeId, List<MaculaAttempt>? Attempts);

    private readonly record struct Outcome(ProviderEntry Provider, TransportMessage? Reply, MaculaErrorCode Failure, string Cause, bool NeverRan, TimeSpan Elapsed);
}
