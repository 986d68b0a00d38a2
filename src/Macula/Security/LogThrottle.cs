namespace Macula.Security;

/// <summary>
/// Lets through at most a number of log lines per second: what a peer can make a node log must not be as large as
/// what it can send. Callers count what they drop in metrics, so nothing is lost but the text.
/// </summary>
internal sealed class LogThrottle(int perSecond)
{
    private readonly object _gate = new();
    private long _second;
    private int _taken;
    private long _suppressed;

    public bool TryTake(DateTimeOffset now) => TryTake(now, out _);

    /// <summary>Whether a line may be written now; when it may, <paramref name="suppressed"/> is how many were refused since the last one let through.</summary>
    public bool TryTake(DateTimeOffset now, out long suppressed)
    {
        long second = now.ToUnixTimeSeconds();
        lock (_gate)
        {
            if (second != _second)
            {
                _second = second;
                _taken = 0;
            }

            if (++_taken <= perSecond)
            {
                suppressed = _suppressed;
                _suppressed = 0;
                return true;
            }

            _suppressed++;
            suppressed = 0;
            return false;
        }
    }

    /// <summary>
    /// <paramref name="text"/> as a log line may quote it: at most <paramref name="max"/> characters, a longer one cut
    /// and marked with its full length ("…(60000 chars)"), so a peer cannot make one line as large as its message.
    /// </summary>
    public static string Quote(string? text, int max)
    {
        if (text is null || text.Length <= max)
        {
            return text ?? string.Empty;
        }

        return string.Concat(text.AsSpan(0, max), $"…({text.Length} chars)");
    }
}
