namespace Macula.Rpc.Client;

/// <summary>
/// The rules one call runs under, resolved once from the call's options, the method's attributes and the client's
/// options, in that order of precedence (docs/rpc-semantics.md).
/// </summary>
/// <param name="Strategy">How each attempt picks its provider.</param>
/// <param name="Timeout">The time the whole call may take (discovery, attempts, failover).</param>
/// <param name="AttemptTimeout">The longest one attempt may take, or null for the time the call has left.</param>
/// <param name="HedgeAfter">When to start a second attempt, or null for no hedging.</param>
/// <param name="MaxAttempts">The attempts allowed, or null for min(3, providers).</param>
internal readonly record struct CallPolicy(SelectionStrategy Strategy, TimeSpan Timeout, TimeSpan? AttemptTimeout, TimeSpan? HedgeAfter, int? MaxAttempts)
{
    public static CallPolicy Resolve(ClientOptions client, CallOptions? call, MethodDescriptor method, IAttemptHandler attempts) => new(
        call?.Strategy ?? client.Strategy,
        call?.Timeout ?? (method.TimeoutMs > 0 ? TimeSpan.FromMilliseconds(method.TimeoutMs) : client.Timeout),
        call?.AttemptTimeout ?? client.AttemptTimeout,
        // Hedging runs a call twice: only idempotent methods, and only where each attempt stands alone.
        // A one-way call is at most once, so never hedged either.
        method.Idempotent && !method.OneWay && attempts.AllowsHedging ? call?.HedgeAfter ?? client.HedgeAfter : null,
        call?.MaxAttempts ?? (method.MaxAttempts > 0 ? method.MaxAttempts : client.MaxAttempts));
}
