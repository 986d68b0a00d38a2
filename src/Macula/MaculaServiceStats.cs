namespace Macula;

/// <summary>
/// A service's server-side figures over a window: on one node (in <see cref="MaculaNodeStats.Services"/>) or summed over
/// all its providers (in <see cref="MaculaMeshStats.Services"/>, latencies from the merged histograms).
/// </summary>
/// <param name="Service">The service name.</param>
/// <param name="NodeIds">The providers these figures come from, ordered.</param>
/// <param name="Calls">Calls dispatched to the implementation within the window.</param>
/// <param name="Errors">Of those, the calls whose implementation threw (<c>ApplicationError</c>).</param>
/// <param name="CallsPerSecond"><see cref="Calls"/> divided by the window in seconds.</param>
/// <param name="ErrorRate"><see cref="Errors"/> divided by <see cref="Calls"/>, 0 without calls.</param>
/// <param name="P50Ms">The median call duration in milliseconds (within 12.5%), or null without calls.</param>
/// <param name="P99Ms">The 99th percentile call duration in milliseconds (within 12.5%), or null without calls.</param>
/// <param name="Methods">Each method's figures, in the service's order.</param>
public sealed record MaculaServiceStats(
    string Service,
    IReadOnlyList<string> NodeIds,
    long Calls,
    long Errors,
    double CallsPerSecond,
    double ErrorRate,
    double? P50Ms,
    double? P99Ms,
    IReadOnlyList<MaculaMethodStats> Methods);
