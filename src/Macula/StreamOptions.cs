namespace Macula;

/// <summary>Flow control and liveness of the server streams a client opens (<see cref="ClientOptions.Streams"/>).</summary>
public sealed record StreamOptions
{
    /// <summary>The defaults: a window of 64 items, a 30 s idle timeout.</summary>
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

    internal void Validate()
    {
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
