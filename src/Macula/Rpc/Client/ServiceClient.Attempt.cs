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
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> AttemptAsync(ProviderEntry provider, Selection selection, AttemptRequest request, int attempt, List<MaculaAttempt>? attempts, CancellationToken cancellationToken)
    {
        var method = request.Method;
        var headers = new MaculaHeaders(6);
        headers.Add(WireProtocol.MethodHeader, method.Name);
        headers.Add(WireProtocol.CallIdHeader, request.CallId);
        headers.Add(WireProtocol.AttemptHeader, attempt.ToString(CultureInfo.InvariantCulture));
        headers.Add(WireProtocol.DeadlineHeader, WireProtocol.FormatDeadline(_runtime.Time.GetUtcNow() + request.Timeout));
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
                ? await local.CallAsync(headers, request.Body, request.Timeout, cancellationToken).ConfigureAwait(false)
                : await _runtime.Transport.RequestAsync(provider.Subject, request.Body, headers, request.Timeout, cancellationToken).ConfigureAwait(false);
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
            await SendCancelAsync(provider.Subject, request.CallId).ConfigureAwait(false);
            throw;
        }

        attemptActivity?.SetStatus(ActivityStatusCode.Error, cause);
        if (provider.Health.OnFailure(cause) is { } changed)
        {
            _runtime.Events.CircuitChanged(_service.Name, provider.NodeId, changed);
        }

        return new Outcome(provider, null, failure, cause, neverRan, Stopwatch.GetElapsedTime(started));
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

    /// <summary>How one attempt ended: its reply, or why it failed and whether the provider provably never ran it.</summary>
    private readonly record struct Outcome(ProviderEntry Provider, TransportMessage? Reply, MaculaErrorCode Failure, string Cause, bool NeverRan, TimeSpan Elapsed);
}
