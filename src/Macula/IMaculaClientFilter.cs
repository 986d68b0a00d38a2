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
