using Macula.Discovery;

namespace Macula.Rpc.Client;

/// <summary>
/// What a failed attempt says about its provider and about the call (docs/rpc-semantics.md, "Failures"):
/// a deterministic failure ends the call, an overloaded provider is healthy but busy, and only the rest count
/// against the provider's circuit.
/// </summary>
internal sealed partial class ServiceClient
{
    /// <summary>The shortest backoff step after an Overloaded answer; each further one doubles it.</summary>
    internal static readonly TimeSpan OverloadBackoffBase = TimeSpan.FromMilliseconds(20);

    /// <summary>The longest backoff after an Overloaded answer.</summary>
    internal static readonly TimeSpan OverloadBackoffMax = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Failures every provider would repeat, because they come from the request or the method, not the provider: a
    /// request it cannot decode (<see cref="MaculaErrorCode.BadRequest"/>, for example nested too deep) and a result
    /// too large to send (<see cref="MaculaErrorCode.PayloadTooLarge"/>). Never retried elsewhere.
    /// </summary>
    internal static bool IsDeterministic(MaculaErrorCode code) => code is MaculaErrorCode.BadRequest or MaculaErrorCode.PayloadTooLarge;

    /// <summary>
    /// Updates <paramref name="provider"/>'s health after a failed attempt. A deterministic failure was answered by a
    /// healthy provider (a success for its health); Overloaded says it is busy, not broken (neutral: the circuit is
    /// for providers that fail, and the client backs off instead); anything else is a failure.
    /// </summary>
    private void RecordHealth(ProviderEntry provider, MaculaErrorCode failure, string cause, TimeSpan elapsed)
    {
        if (IsDeterministic(failure))
        {
            if (provider.Health.OnSuccess(elapsed) is { } closed)
            {
                _runtime.Events.CircuitChanged(_service.Name, provider.NodeId, closed);
            }
        }
        else if (failure == MaculaErrorCode.Overloaded)
        {
            provider.Health.OnNeutral();
        }
        else if (provider.Health.OnFailure(cause) is { } changed)
        {
            _runtime.Events.CircuitChanged(_service.Name, provider.NodeId, changed);
        }
    }

    /// <summary>
    /// Reports the failover, and after an Overloaded answer first waits a jittered, doubling backoff (full jitter:
    /// uniform in [0, min(<see cref="OverloadBackoffMax"/>, base × 2^(n-1))] for the call's n-th Overloaded answer,
    /// and never more than a quarter of the attempt timeout), so callers of a cluster under overload spread out
    /// instead of storming the next provider.
    /// </summary>
    private async ValueTask FailOverAsync(MethodDescriptor method, Outcome outcome, int attempt, List<MaculaAttempt>? attempts, CallPolicy policy, CancellationToken cancellationToken)
    {
        ReportFailover(method, outcome, attempt);
        if (outcome.Failure != MaculaErrorCode.Overloaded)
        {
            return;
        }

        var delay = OverloadBackoff(CountOverloaded(attempts), policy.Timeout, Random.Shared.NextDouble());
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _runtime.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The backoff before the attempt after the <paramref name="overloads"/>-th Overloaded answer, for a jitter in [0, 1).</summary>
    internal static TimeSpan OverloadBackoff(int overloads, TimeSpan attemptTimeout, double jitter)
    {
        double ceiling = Math.Min(OverloadBackoffMax.TotalMilliseconds, OverloadBackoffBase.TotalMilliseconds * Math.Pow(2, Math.Clamp(overloads - 1, 0, 16)));
        ceiling = Math.Min(ceiling, attemptTimeout.TotalMilliseconds / 4);
        return TimeSpan.FromMilliseconds(Math.Max(0, ceiling * jitter));
    }

    private static int CountOverloaded(List<MaculaAttempt>? attempts)
    {
        int n = 0;
        if (attempts is not null)
        {
            foreach (var a in attempts)
            {
                if (a.Code == MaculaErrorCode.Overloaded)
                {
                    n++;
                }
            }
        }

        return n;
    }

    private static bool AllOverloaded(List<MaculaAttempt>? attempts) => attempts is { Count: > 0 } && CountOverloaded(attempts) == attempts.Count;
}
