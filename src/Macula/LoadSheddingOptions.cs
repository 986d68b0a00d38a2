namespace Macula;

/// <summary>
/// How a provider sheds load: each service it provides runs at most <see cref="MaxConcurrency"/> calls at once;
/// up to <see cref="QueueLength"/> more wait, each at most <see cref="MaxQueueWait"/>; any other call is answered
/// <see cref="MaculaErrorCode.Overloaded"/> at once, before it runs, so its client fails over safely
/// (docs/rpc-semantics.md).
/// </summary>
public sealed record LoadSheddingOptions
{
    /// <summary>One shared empty map, so two options records with the defaults are equal (declared before <see cref="Default"/>, which uses it).</summary>
    private static readonly IReadOnlyDictionary<string, int> NoMethodLimits = new Dictionary<string, int>();

    /// <summary>The defaults: <see cref="Environment.ProcessorCount"/> × 32 calls in flight per service, a queue of as many again, waiting at most 1 s.</summary>
    public static LoadSheddingOptions Default { get; } = new();

    /// <summary>
    /// The calls of one service that may run at once on this node (streams are not counted). A call keeps its slot
    /// until its handler returns, also after it was cancelled: a handler that ignores its token still holds one.
    /// Default <see cref="Environment.ProcessorCount"/> × 32 (handlers are expected to await I/O; lower it for
    /// CPU-bound ones).
    /// </summary>
    public int MaxConcurrency { get; init; } = Math.Min(Environment.ProcessorCount * 32, Validation.MaxConcurrency);

    /// <summary>
    /// How many calls of one service may wait for a slot, in arrival order, when all are taken; 0 sheds at once.
    /// Default the same as <see cref="MaxConcurrency"/>.
    /// </summary>
    public int QueueLength { get; init; } = Math.Min(Environment.ProcessorCount * 32, Validation.MaxQueueLength);

    /// <summary>
    /// How long a queued call waits for a slot before it is answered <see cref="MaculaErrorCode.Overloaded"/>
    /// (a call whose deadline passes meanwhile is answered <see cref="MaculaErrorCode.DeadlineExceeded"/> when it
    /// starts). Default 1 s.
    /// </summary>
    public TimeSpan MaxQueueWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Lower limits for single methods, by <c>"Service/Method"</c> (wire names, as the server span is named): a call of
    /// such a method beyond its limit is answered <see cref="MaculaErrorCode.Overloaded"/> at once (a method has no
    /// queue of its own; it waits in its service's). Each value from 1 to <see cref="MaxConcurrency"/>'s maximum. A key
    /// naming a method the provided service does not have fails <c>ProvideAsync</c>. Default: none.
    /// </summary>
    public IReadOnlyDictionary<string, int> MethodLimits { get; init; } = NoMethodLimits;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(MethodLimits, nameof(MethodLimits));
        foreach (var (key, limit) in MethodLimits)
        {
            int slash = key.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == key.Length - 1)
            {
                throw new ArgumentException($"LoadSheddingOptions.MethodLimits has the key '{key}': use \"Service/Method\".", nameof(MethodLimits));
            }

            if (Validation.MaxConcurrencyProblem(limit) is { } limitProblem)
            {
                throw new ArgumentOutOfRangeException(nameof(MethodLimits), limit, $"LoadSheddingOptions.MethodLimits['{key}'] is {limit}; it {limitProblem}.");
            }
        }

        Validation.Require(Validation.MaxConcurrencyProblem(MaxConcurrency), nameof(LoadSheddingOptions), nameof(MaxConcurrency), MaxConcurrency);
        Validation.Require(Validation.QueueLengthProblem(QueueLength), nameof(LoadSheddingOptions), nameof(QueueLength), QueueLength);
        Validation.Require(Validation.MaxQueueWaitProblem(MaxQueueWait), nameof(LoadSheddingOptions), nameof(MaxQueueWait), MaxQueueWait);
    }
}
