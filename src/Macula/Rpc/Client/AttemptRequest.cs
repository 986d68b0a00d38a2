namespace Macula.Rpc.Client;

/// <summary>
/// What every attempt of one call sends: the method, the call id, the body (compressed or not), the call's deadline
/// and the per-attempt limit, the metadata, the handler that prepares each attempt, and the filters' view of the call
/// (null without filters).
/// </summary>
internal readonly record struct AttemptRequest(MethodDescriptor Method, string CallId, ReadOnlyMemory<byte> Body, bool Compressed, DateTimeOffset Deadline, TimeSpan? AttemptTimeout, MaculaMetadata? Metadata, IAttemptHandler Handler, ClientCallContext? Filtered)
{
    /// <summary>The budget of an attempt starting at <paramref name="now"/>, and whether the call's deadline (not the attempt limit) sets it.</summary>
    public (TimeSpan Budget, bool DeadlineBound) BudgetAt(DateTimeOffset now)
    {
        var remaining = Deadline - now;
        return AttemptTimeout is { } limit && limit < remaining ? (limit, false) : (remaining, true);
    }
}
