namespace Macula;

/// <summary>Flow control and liveness of the server streams a client opens (<see cref="ClientOptions.Streams"/>).</summary>
public sealed record StreamOptions
{
    /// <summary>The defaults: a window of 64 items, a 30 s idle timeout, a 5 s open timeout.</summary>
    public static StreamOptions Default { get; } = new();

    /// <summary>
    /// How many items the provider may send ahead of what the consumer has finished with. The provider waits for
    /// credit beyond it, so a slow consumer slows the producer instead of filling memory. Default 64, at most 65536.
    /// </summary>
    public int Window { get; init; } = 64;

    /// <summary>
    /// A stream whose provider sends nothing (no item, no heartbeat) for this long ends with
    /// <see cref="MaculaErrorCode.Timeout"/>; both sides send heartbeats at a third of it while they are quiet.
    /// Default 30 seconds.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an attempt to open a stream waits for the provider's acknowledgement (the open reply, which a provider
    /// sends as soon as it has accepted the stream, before the first item) instead of the whole call timeout. A
    /// provider that got the open and died, or hangs, is noticed after this; the open then fails over to another
    /// provider for idempotent methods. The smaller of this and the call's timeout applies. Default 5 seconds.
    /// </summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        if (Validation.StreamOpenTimeoutProblem(OpenTimeout) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(OpenTimeout), OpenTimeout, $"StreamOptions.OpenTimeout {problem}.");
        }

        if (Window is < 1 or > Validation.MaxStreamWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(Window), Window, $"StreamOptions.Window must be between 1 and {Validation.MaxStreamWindow}.");
        }

        if (IdleTimeout < TimeSpan.FromMilliseconds(30) || IdleTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "StreamOptions.IdleTimeout must be between 30 ms and 1 day.");
        }
    }
}
