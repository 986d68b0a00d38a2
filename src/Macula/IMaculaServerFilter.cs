namespace Macula;

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
