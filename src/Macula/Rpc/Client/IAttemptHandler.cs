using Macula.Transport;

namespace Macula.Rpc.Client;

/// <summary>
/// What differs between the attempts of a unary call and of a stream's open, the one seam the failover loop calls:
/// whether the call may be hedged, and what each attempt adds to its request before it is sent.
/// </summary>
internal interface IAttemptHandler
{
    /// <summary>Whether a slow attempt may be raced by a second one (<see cref="CallOptions.HedgeAfter"/>).</summary>
    bool AllowsHedging { get; }

    /// <summary>The longest one attempt may wait for its reply, when shorter than the call's timeout (a stream's open acknowledgement); null for the call's timeout.</summary>
    TimeSpan? AttemptTimeout { get; }

    /// <summary>
    /// Whether an attempt on a provider of this node may be dispatched in-process (the local fast path). Streams need
    /// their inbox on the transport, so the default is no.
    /// </summary>
    bool AllowsLocal => false;

    /// <summary>Prepares one attempt on the provider at <paramref name="subject"/>: adds headers, subscribes what its reply needs.</summary>
    ValueTask BeginAttemptAsync(string subject, string callId, MaculaHeaders headers, CancellationToken cancellationToken);
}
