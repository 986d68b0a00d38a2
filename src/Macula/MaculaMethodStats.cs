namespace Macula;

/// <summary>One method's server-side figures over a window, and its totals since its providers started.</summary>
/// <param name="Method">The method's wire name.</param>
/// <param name="Calls">Calls dispatched to the implementation within the window.</param>
/// <param name="Errors">Of those, the calls whose implementation threw.</param>
/// <param name="CallsPerSecond"><see cref="Calls"/> divided by the window in seconds.</param>
/// <param name="ErrorRate"><see cref="Errors"/> divided by <see cref="Calls"/>, 0 without calls.</param>
/// <param name="P50Ms">The median duration in milliseconds (within 12.5%), or null without calls.</param>
/// <param name="P99Ms">The 99th percentile duration in milliseconds (within 12.5%), or null without calls.</param>
/// <param name="TotalCalls">Calls since the provider started.</param>
/// <param name="TotalErrors">Errors since the provider started.</param>
/// <param name="TotalProcessingTime">Time spent in the implementation since the provider started.</param>
public sealed record MaculaMethodStats(
    string Method,
    long Calls,
    long Errors,
    double CallsPerSecond,
    double ErrorRate,
    double? P50Ms,
    double? P99Ms,
    long TotalCalls,
    long TotalErrors,
    TimeSpan TotalProcessingTime);
