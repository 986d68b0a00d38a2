namespace Macula;

/// <summary>
/// Runs around the calls a client makes (unary calls and stream opens): <see cref="InvokeAsync"/> once around the
/// whole call, <see cref="InvokeAttemptAsync"/> around each attempt on a provider. Filters run in the order they are
/// registered: the node's (<see cref="MaculaNodeOptions.ClientFilters"/>), then the client's
/// (<see cref="ClientOptions.Filters"/>); the first registered is the outermost. A filter may read and change the
/// request metadata, read the response metadata after <c>next</c>, end the call without calling <c>next</c> (with
/// <see cref="ClientCallContext.Result"/> set, or by throwing a <see cref="MaculaRpcException"/>), and observe the
/// exception <c>next</c> throws. See docs/filters.md.
/// </summary>
public interface IMaculaClientFilter
{
    /// <summary>Runs around the whole call: discovery, every attempt, failover. Call <paramref name="next"/> to go on.</summary>
    ValueTask InvokeAsync(ClientCallContext context, Func<ClientCallContext, ValueTask> next);

    /// <summary>
    /// Runs around one attempt on one provider; by default it only calls <paramref name="next"/>. Throwing ends the
    /// call with that exception (a retry budget stops failover this way). After <paramref name="next"/>,
    /// <see cref="ClientAttemptContext.Failure"/> says how the attempt failed, or is null when it answered.
    /// </summary>
    ValueTask InvokeAttemptAsync(ClientAttemptContext context, Func<ClientAttemptContext, ValueTask> next) => next(context);
}

/// <summary>
/// Runs around each call a provider handles (for a stream: around serving its open and its items). Filters run in
/// registration order, the first outermost: the node's (<see cref="MaculaNodeOptions.ServerFilters"/>), then the
/// service's (<see cref="ProviderOptions.Filters"/>). <see cref="MaculaCallContext.Current"/> is the context the
/// filter gets. Not calling <c>next</c> ends the call: with <see cref="MaculaCallContext.SetResult{T}"/>
/// it answers ok, otherwise throw a <see cref="MaculaRpcException"/> whose <see cref="MaculaRpcException.Code"/> is the
/// status the caller gets (for example <see cref="MaculaErrorCode.Unauthenticated"/>). Any other exception is an
/// application error. See docs/filters.md.
/// </summary>
public interface IMaculaServerFilter
{
    /// <summary>Runs around one handled call. Call <paramref name="next"/> to run the rest of the filters and the implementation.</summary>
    ValueTask InvokeAsync(MaculaCallContext context, Func<MaculaCallContext, ValueTask> next);
}
