using Macula.Transport;

namespace Macula.Rpc.Client;

/// <summary>The attempts of a unary call: hedged when asked, nothing added to the request.</summary>
internal sealed class UnaryAttempts : IAttemptHandler
{
    public static readonly UnaryAttempts Instance = new();

    private UnaryAttempts()
    {
    }

    public bool AllowsHedging => true;

    public TimeSpan? AttemptTimeout => null;

    public bool AllowsLocal => true;

    public ValueTask BeginAttemptAsync(string subject, string callId, MaculaHeaders headers, CancellationToken cancellationToken) => default;
}
