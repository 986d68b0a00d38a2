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

    public bool TryTake(DateTimeOffset now)
    {
        long second = now.ToUnixTimeSeconds();
        lock (_gate)
        {
            if (second != _second)
            {
                _second = second;
                _taken = 0;
            }

            return ++_taken <= perSecond;
        }
    }
}
