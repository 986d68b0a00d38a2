namespace Macula;

/// <summary>
/// One event of a node. <see cref="Message"/> reads well on its own; the named fields carry the same facts for
/// structured logs and tools (a field the event does not have is <see langword="null"/>).
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Message">A readable description.</param>
/// <param name="Exception">The exception, for errors.</param>
public sealed record MaculaEvent(MaculaEventKind Kind, string Message, Exception? Exception = null)
{
    /// <summary>The service the event is about.</summary>
    public string? Service { get; init; }

    /// <summary>The method the event is about (failovers).</summary>
    public string? Method { get; init; }

    /// <summary>
    /// The node the event is about: this node for <see cref="MaculaEventKind.Started"/>, <see cref="MaculaEventKind.Stopped"/>,
    /// <see cref="MaculaEventKind.Advertised"/> and <see cref="MaculaEventKind.Withdrawn"/>; the provider for
    /// <see cref="MaculaEventKind.Failover"/> and <see cref="MaculaEventKind.CircuitChanged"/>.
    /// </summary>
    public string? NodeId { get; init; }

    /// <summary>The node's realm (<see cref="MaculaEventKind.Started"/>).</summary>
    public string? Realm { get; init; }

    /// <summary>The number of the attempt that failed (failovers, from 1).</summary>
    public int? Attempt { get; init; }

    /// <summary>How the attempt failed (failovers).</summary>
    public MaculaErrorCode? ErrorCode { get; init; }

    /// <summary>The new state of the provider's circuit (<see cref="MaculaEventKind.CircuitChanged"/>).</summary>
    public CircuitState? Circuit { get; init; }

    /// <summary>The subject a bad message arrived on.</summary>
    public string? Subject { get; init; }

    /// <summary>Why: the cause of a failover, what was wrong with a bad message, what the node was doing when an error struck.</summary>
    public string? Reason { get; init; }

    /// <summary>
    /// For a <see cref="MaculaEventKind.BadMessage"/>: how many bad messages before this one were not reported
    /// (they are rate-limited to 10 a second; <c>macula.bad_messages</c> counts every one).
    /// </summary>
    public long Suppressed { get; init; }
}
