using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Macula.Discovery;
using Macula.Transport;

namespace Macula.Rpc.Client;

internal sealed partial class ServiceClient
{
    /// <summary>
    /// Runs one attempt on <paramref name="provider"/> and updates its health. Returns the reply, or how the attempt
    /// failed; throws <see cref="MaculaRemoteException"/> for an application error, and rethrows cancellation after
    /// telling the provider.
    /// </summary>
    private ValueTask<Outcome> RunAttemptAsync(ProviderEntry provider, Selection selection, AttemptRequest request, int attempt, List<MaculaAttempt>? attempts, CancellationToken cancellationToken) =>
        request.Filtered is null ? AttemptAsync(provider, selection, request, attempt, attempts, cancellationToken) : FilteredAttemptAsync(provider, selection, request, attempt, attempts, cancellationToken);

    /// <summary>One attempt through the client filters' attempt hooks (<see cref="IMaculaClientFilter.InvokeAttemptAsync"/>).</summary>
    private async ValueTask<Outcome> FilteredAttemptAsync(ProviderEntry provider, Selection selection, AttemptRequest request, int attempt, List<MaculaAttempt>? attempts, CancellationToken cancellationToken)
    {
        var call = request.Filtered!;
        call.FailedAttempts = attempts is null ? [] : attempts.ToArray();
        var context = new ClientAttemptContext(call, attempt, provider.NodeId);
        Outcome outcome = default;
        bool ran = false;
        Func<ClientAttemptContext, ValueTask> chain = async a =>
        {
            outcome = await AttemptAsync(provider, selection, request, a.Attempt, attempts, cancellationToken).ConfigureAwait(false);
            ran = true;
            a.Failure = outcome.Reply is null ? outcome.Failure : null;
        };

        await FilterList.Chain(_filters, chain, static (filter, a, next) => filter.InvokeAttemptAsync(a, next))(context).ConfigureAwait(false);
        if (!ran)
        {
            throw new InvalidOperationException($"A client filter skipped attempt {attempt} of {_service.Name}.{request.Method.Name} without calling next or throwing.");
        }

        return outcome;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> AttemptAsync(ProviderEntry provider, Selection selection, AttemptRequest request, int attempt, List<MaculaAttempt>? attempts, CancellationToken cancellationToken)
    {
        var method = request.Method;
        var (budget, deadlineBound) = request.BudgetAt(_runtime.Time.GetUtcNow());
        if (budget <= TimeSpan.Zero)
        {
            return new Outcome(provider, null, MaculaErrorCode.DeadlineExceeded, "the call's deadline passed before this attempt could start", true, default, Expired: true);
        }

        // A unary attempt's headers go to the transport only (or to a local provider, which may keep them), so a
        // remote one reuses them; a stream's handler adds its own and keeps them with the stream.
        bool unary = ReferenceEquals(request.Handler, UnaryAttempts.Instance);
        int capacity = 7 + (request.Metadata?.Count ?? 0);
        var headers = unary ? CallPool.RentHeaders(capacity) : new MaculaHeaders(capacity);
        headers.Add(WireProtocol.MethodHeader, method.Name);
        headers.Add(WireProtocol.CallIdHeader, request.CallId);
        headers.Add(WireProtocol.AttemptHeader, attempt.ToString(CultureInfo.InvariantCulture));
        headers.Add(WireProtocol.TimeoutHeader, WireProtocol.FormatTimeout(budget));
        headers.Add(WireProtocol.CallerHeader, _runtime.NodeId);
        if (request.Metadata is { } metadata)
        {
            WireProtocol.WriteMetadata(headers, metadata);
        }

        if (request.Compressed)
        {
            headers.Add(WireProtocol.CompressionHeader, WireProtocol.Lz4);
        }

        await request.Handler.BeginAttemptAsync(provider.Subject, request.CallId, headers, cancellationToken).ConfigureAwait(false);

        using var attemptActivity = MaculaDiagnostics.Source.StartActivity(MaculaDiagnostics.Spans.Attempt, ActivityKind.Client);
        if (attemptActivity is not null)
        {
            attemptActivity.SetTag(MaculaDiagnostics.Tags.NodeId, provider.NodeId);
            attemptActivity.SetTag(MaculaDiagnostics.Tags.Attempt, attempt);
            attemptActivity.SetTag(MaculaDiagnostics.Tags.ProviderSelected, provider.NodeId);
            attemptActivity.SetTag(MaculaDiagnostics.Tags.SelectionReason, selection.Reason);
            attemptActivity.SetTag(MaculaDiagnostics.Tags.SelectionScope, selection.Scope);
        }

        // The local fast path: a provider of this node serves a unary call in-process, from the same serialized bytes.
        var local = request.Handler.AllowsLocal ? _runtime.Local?.Find(provider.Subject) : null;
        if (local is not null)
        {
            attemptActivity?.SetTag(MaculaDiagnostics.Tags.Local, true);
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
            var message = local is not null
                ? await local.CallAsync(headers, request.Body, budget, cancellationToken).ConfigureAwait(false)
                : await _runtime.Transport.RequestAsync(provider.Subject, request.Body, headers, budget, cancellationToken).ConfigureAwait(false);
            if (WireProtocol.HasMetadata(message.Headers))
            {
                ReceiveResponseMetadata(request, provider, message);
            }

            string status = message.Headers?[WireProtocol.StatusHeader] ?? WireProtocol.StatusOk;
            if (status == WireProtocol.StatusOk)
            {
                if (provider.Health.OnSuccess(Stopwatch.GetElapsedTime(started)) is { } closed)
                {
                    _runtime.Events.CircuitChanged(_service.Name, provider.NodeId, closed);
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

            if (failure is MaculaErrorCode.Unauthenticated or MaculaErrorCode.PermissionDenied)
            {
                // The provider is healthy and refused this caller: another provider would refuse it too. Never retried.
                provider.Health.OnNeutral();
                var all = attempts is null ? new List<MaculaAttempt>(1) : new List<MaculaAttempt>(attempts);
                all.Add(new MaculaAttempt(provider.NodeId, failure, errorMessage, Stopwatch.GetElapsedTime(started)));
                throw new MaculaRpcException(failure, $"{provider.NodeId} refused {_service.Name}.{method.Name} ({failure}): {errorMessage}", all);
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
                // The attempt used the whole call's remaining time: that is the call's deadline, not a slow attempt.
                TransportErrorKind.Timeout => deadlineBound ? MaculaErrorCode.DeadlineExceeded : MaculaErrorCode.Timeout,
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
            await SendCancelAsync(provider.Subject, request.CallId).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (unary && local is null)
            {
                CallPool.Return(headers);
            }
        }

        attemptActivity?.SetStatus(ActivityStatusCode.Error, cause);
        RecordHealth(provider, failure, cause, Stopwatch.GetElapsedTime(started));

        return new Outcome(provider, null, failure, cause, neverRan, Stopwatch.GetElapsedTime(started), Expired: deadlineBound && failure == MaculaErrorCode.DeadlineExceeded);
    }

    /// <summary>Hands the reply's metadata to the filters and <see cref="CallOptions.OnResponseMetadata"/>; bad metadata is reported and dropped.</summary>
    private void ReceiveResponseMetadata(in AttemptRequest request, ProviderEntry provider, TransportMessage message)
    {
        MaculaMetadata? metadata;
        try
        {
            metadata = WireProtocol.ReadMetadata(message.Headers);
        }
        catch (Serialization.MaculaSerializationException ex)
        {
            _runtime.Events.BadMessage(provider.Subject, $"reply metadata dropped: {ex.Message}");
            return;
        }

        if (metadata is null)
        {
            return;
        }

        if (request.Filtered is { } call)
        {
            call.ResponseMetadata = metadata;
        }

        _call?.OnResponseMetadata?.Invoke(metadata);
    }

    private async ValueTask SendCancelAsync(string subject, string callId)
    {
        try
        {
            var headers = new MaculaHeaders(1);
            headers.Add(WireProtocol.CancelHeader, callId);
            await _runtime.Transport.PublishAsync(subject, ReadOnlyMemory<byte>.Empty, headers).ConfigureAwait(false);
        }
        catch (MaculaTransportException)
        {
            // Best effort: the provider's deadline stops the handler anyway.
        }
    }

    /// <summary>
    /// How one attempt ended: its reply, or why it failed, whether the provider provably never ran it, and whether it
    /// ended because the whole call's deadline passed (<c>Expired</c>: no failover can help).
    /// </summary>
    private readonly record struct Outcome(ProviderEntry Provider, TransportMessage? Reply, MaculaErrorCode Failure, string Cause, bool NeverRan, TimeSpan Elapsed, bool Expired = false);
}
