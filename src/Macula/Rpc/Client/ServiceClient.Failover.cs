using System.Runtime.CompilerServices;
using Macula.Discovery;
using Macula.Serialization;
using MessagePack.Formatters;

namespace Macula.Rpc.Client;

internal sealed partial class ServiceClient
{
    /// <summary>
    /// Serializes the arguments once, then runs attempts on selected providers until one answers, the failure ends the
    /// call (application error, a refused request, a non-idempotent method that may have run), or the attempts or
    /// providers run out. A cache that ran out of providers is looked up afresh once.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Reply> SendCoreAsync<TArgs>(MethodDescriptor method, TArgs arguments, IMessagePackFormatter<TArgs> argumentsFormatter, IAttemptHandler handler, CallPolicy policy, DateTimeOffset deadline, MaculaMetadata? metadata, ClientCallContext? filtered, CancellationToken cancellationToken)
    {
        // A cyclic or too deep argument fails here, before anything is sent, as a MaculaSerializationException.
        using var lease = CallPool.LeaseWriter();
        var plain = lease.Writer;
        MaculaSerializer.Serialize(plain, arguments, argumentsFormatter, _runtime.SerializerOptions);
        bool compress = WireProtocol.ShouldCompress(_options.Compression ?? _runtime.Options.Compression, method.Compression, plain.WrittenCount);
        using var packed = compress ? new PooledBufferWriter((plain.WrittenCount / 2) + 64) : null;
        bool compressed = packed is not null && WireProtocol.TryCompress(plain.WrittenSpan, packed);
        var body = compressed ? packed! : plain;
        int maxPayload = _runtime.Transport.MaxPayload;
        if (body.WrittenCount > maxPayload)
        {
            throw new MaculaRpcException(MaculaErrorCode.PayloadTooLarge, $"The arguments of {_service.Name}.{method.Name} take {body.WrittenCount} bytes{(compressed ? " compressed" : string.Empty)}, more than the transport's maximum payload of {maxPayload} bytes.");
        }

        var providers = await Bounded(_runtime.Discovery.GetAsync(_service.Name, cancellationToken), method, deadline, null, cancellationToken).ConfigureAwait(false);
        if (providers.Entries.Length == 0)
        {
            throw new MaculaRpcException(MaculaErrorCode.ServiceNotFound, $"No provider of the service '{_service.Name}' was found in realm '{_runtime.Realm}'.");
        }

        var selector = SelectorFor(policy);
        int maxAttempts = policy.MaxAttempts ?? Math.Min(3, providers.Entries.Length);
        // One attempt's limit: the policy's, or a stream's open acknowledgement timeout when that is shorter.
        var attemptTimeout = handler.AttemptTimeout is { } cap && !(policy.AttemptTimeout <= cap) ? cap : policy.AttemptTimeout;
        var request = new AttemptRequest(method, CallIds.Next(), body.WrittenMemory, compressed, deadline, attemptTimeout, metadata is { Count: > 0 } ? metadata : null, handler, filtered);
        List<string>? excluded = null;
        List<MaculaAttempt>? attempts = null;
        bool refreshed = false;

        for (int attempt = 1; ; attempt++)
        {
            int index = Select(method, selector, providers, excluded, out var selection);
            if (index < 0 && !refreshed)
            {
                // Every cached provider failed (or none matches): the cache may be stale, so look once more before giving up.
                refreshed = true;
                providers = await Bounded(RefreshAsync(providers, cancellationToken), method, deadline, attempts, cancellationToken).ConfigureAwait(false);
                index = Select(method, selector, providers, excluded, out selection);
            }

            if (index < 0)
            {
                throw NoneLeft(method, providers, excluded, attempts);
            }

            var provider = providers.Entries[index];
            Outcome outcome;
            if (policy.HedgeAfter is { } delay && attempt < maxAttempts && providers.Entries.Length > 1 + (excluded?.Count ?? 0))
            {
                var (first, second) = await HedgeAsync(request, attempt, delay, selector, selection, providers, provider, excluded, attempts, cancellationToken).ConfigureAwait(false);
                if (first.Reply is { } hedgedReply)
                {
                    return new Reply(hedgedReply, first.Provider.NodeId, attempts);
                }

                if (second is { } other)
                {
                    // Both hedged attempts failed: the first to fail is recorded first.
                    RecordFailure(first, ref attempts, ref excluded);
                    if (IsDeterministic(first.Failure))
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
                outcome = await RunAttemptAsync(provider, selection, request, attempt, attempts, cancellationToken).ConfigureAwait(false);
                if (outcome.Reply is { } reply)
                {
                    return new Reply(reply, provider.NodeId, attempts);
                }
            }

            RecordFailure(outcome, ref attempts, ref excluded);
            if (IsDeterministic(outcome.Failure))
            {
                throw Refused(method, outcome, attempts);
            }

            if (outcome.Expired || _runtime.Time.GetUtcNow() >= deadline)
            {
                // The whole call's time is up: no failover can answer in time.
                throw DeadlineExceeded(method, deadline, attempts);
            }

            provider = outcome.Provider;
            if ((!method.Idempotent || method.OneWay) && !outcome.NeverRan)
            {
                // The request may have reached the provider: running it elsewhere could run it twice.
                string what = method.OneWay ? "is one-way (at most once)" : "is not idempotent";
                throw new MaculaRpcException(outcome.Failure, $"{_service.Name}.{method.Name} {what} and its attempt on {provider.NodeId} failed after the request may have reached it ({outcome.Cause}); not retried.", attempts);
            }

            if (attempt >= maxAttempts)
            {
                bool allTried = Untried(providers, excluded!, method) == 0;
                if (allTried && !refreshed && policy.MaxAttempts is null)
                {
                    // Every cached provider failed: look once more; providers that are new get the default attempts.
                    refreshed = true;
                    providers = await Bounded(RefreshAsync(providers, cancellationToken), method, deadline, attempts, cancellationToken).ConfigureAwait(false);
                    int fresh = Untried(providers, excluded!, method);
                    if (fresh > 0)
                    {
                        maxAttempts = attempt + Math.Min(3, fresh);
                        await FailOverAsync(method, outcome, attempt, attempts, policy, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }

                if (allTried)
                {
                    throw AllFailed(method, providers, excluded, attempts);
                }

                throw new MaculaRpcException(MaculaErrorCode.MaxAttemptsExceeded, $"{_service.Name}.{method.Name} failed {attempts!.Count} attempts (the maximum): {Describe(attempts)}", attempts);
            }

            await FailOverAsync(method, outcome, attempt, attempts, policy, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A discovery lookup bounded by the call's deadline: a cache hit passes through as it is (no allocation); a
    /// lookup still running at the deadline fails the call with <see cref="MaculaErrorCode.DeadlineExceeded"/> (the
    /// lookup itself goes on and fills the cache for later calls).
    /// </summary>
    private ValueTask<ProviderSet> Bounded(ValueTask<ProviderSet> lookup, MethodDescriptor method, DateTimeOffset deadline, List<MaculaAttempt>? attempts, CancellationToken cancellationToken) =>
        lookup.IsCompletedSuccessfully ? lookup : BoundedSlowAsync(lookup.AsTask(), method, deadline, attempts, cancellationToken);

    private async ValueTask<ProviderSet> BoundedSlowAsync(Task<ProviderSet> lookup, MethodDescriptor method, DateTimeOffset deadline, List<MaculaAttempt>? attempts, CancellationToken cancellationToken)
    {
        var remaining = deadline - _runtime.Time.GetUtcNow();
        try
        {
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }

            return await lookup.WaitAsync(remaining, _runtime.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw DeadlineExceeded(method, deadline, attempts, " while it was looking up the service's providers");
        }
    }

    private MaculaRpcException DeadlineExceeded(MethodDescriptor method, DateTimeOffset deadline, List<MaculaAttempt>? attempts, string where = "") =>
        new(MaculaErrorCode.DeadlineExceeded, $"The deadline of {_service.Name}.{method.Name} ({deadline:O}) passed{where}: {Describe(attempts)}", attempts);

    /// <summary>Drops the stale set and looks the service up again (once per call).</summary>
    private ValueTask<ProviderSet> RefreshAsync(ProviderSet stale, CancellationToken cancellationToken)
    {
        _runtime.Discovery.Invalidate(_service.Name, stale);
        return _runtime.Discovery.RefreshAsync(_service.Name, cancellationToken);
    }

    /// <summary>How many providers this call may still try: not yet tried, and matching the client (contract, version, tags).</summary>
    private int Untried(ProviderSet providers, List<string> excluded, MethodDescriptor method) => ProviderSelector.Eligible(_routing, method, providers.Entries, excluded);

    /// <summary>Every provider failed: the cached set is dropped, so the next call looks up afresh.</summary>
    private MaculaRpcException AllFailed(MethodDescriptor method, ProviderSet providers, List<string>? excluded, List<MaculaAttempt>? attempts)
    {
        _runtime.Discovery.Invalidate(_service.Name, providers);
        if (AllOverloaded(attempts))
        {
            return new MaculaRpcException(MaculaErrorCode.Overloaded, $"All {excluded?.Count ?? 0} providers of '{_service.Name}' are overloaded and did not run {_service.Name}.{method.Name}: {Describe(attempts)}", attempts);
        }

        return new MaculaRpcException(MaculaErrorCode.AllProvidersFailed, $"All {excluded?.Count ?? 0} providers of '{_service.Name}' failed {_service.Name}.{method.Name}: {Describe(attempts)}", attempts);
    }

    /// <summary>
    /// A provider could not decode the request (too deep, malformed, a type it reads differently), or its result was
    /// too large to send: every provider of the service reads the request and makes the result the same way, so trying
    /// the others would only repeat the failure (<see cref="IsDeterministic"/>).
    /// </summary>
    private MaculaRpcException Refused(MethodDescriptor method, in Outcome outcome, List<MaculaAttempt>? attempts) => outcome.Failure == MaculaErrorCode.PayloadTooLarge
        ? new(MaculaErrorCode.PayloadTooLarge, $"The result of {_service.Name}.{method.Name} on {outcome.Provider.NodeId} was too large to send ({outcome.Cause}); not retried on other providers, which would make the same result.", attempts)
        : new(MaculaErrorCode.BadRequest, $"{outcome.Provider.NodeId} refused the request of {_service.Name}.{method.Name} ({outcome.Cause}); not retried on other providers, which read it the same way.", attempts);

    private void ReportFailover(MethodDescriptor method, in Outcome outcome, int attempt)
    {
        _runtime.Events.Failover(_service.Name, method.Name, outcome.Provider.NodeId, attempt, outcome.Failure, outcome.Cause);
        MaculaDiagnostics.Failovers.Add(1, ClientTelemetry.MethodTags(_service.Name, method.Name));
    }

    private void RecordFailure(in Outcome outcome, ref List<MaculaAttempt>? attempts, ref List<string>? excluded)
    {
        (attempts ??= []).Add(new MaculaAttempt(outcome.Provider.NodeId, outcome.Failure, outcome.Cause, outcome.Elapsed));
        (excluded ??= []).Add(outcome.Provider.NodeId);
        if (outcome.Failure is MaculaErrorCode.NoResponders or MaculaErrorCode.ShuttingDown)
        {
            // The provider is gone or leaving: later calls should not pick it from the cache again.
            _runtime.Discovery.Evict(_service.Name, outcome.Provider.NodeId);
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
}
