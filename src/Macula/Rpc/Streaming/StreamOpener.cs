using Macula.Rpc.Client;
using Macula.Transport;

namespace Macula.Rpc.Streaming;

/// <summary>
/// Opens a stream's attempts for <see cref="ServiceClient"/>: each attempt gets a fresh inbox, subscribed before the
/// open is sent, so items of an attempt that failed (a late provider) can never mix with the winner's.
/// </summary>
internal sealed class StreamOpener(ClientRuntime runtime, StreamOptions options) : IAttemptHandler
{
    private StreamInbox? _current;
    private string? _provider;
    private string? _callId;

    /// <summary>A stream's open is never hedged: two opens would start two streams.</summary>
    public bool AllowsHedging => false;

    /// <summary>An open waits for the provider's acknowledgement this long at most, not for the whole call timeout.</summary>
    public TimeSpan? AttemptTimeout => options.OpenTimeout;

    /// <summary>Abandons the previous attempt, subscribes this attempt's inbox and adds the stream headers to the open.</summary>
    public async ValueTask BeginAttemptAsync(string providerSubject, string callId, MaculaHeaders headers, CancellationToken cancellationToken)
    {
        await AbandonAsync().ConfigureAwait(false);
        var inbox = new StreamInbox(runtime.Time, Subjects.NewStream(runtime.Realm, runtime.NodeId));
        try
        {
            await inbox.SubscribeAsync(runtime.Transport, cancellationToken).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            throw new MaculaRpcException(MaculaErrorCode.ConnectionLost, $"The inbox of a stream could not be subscribed: {ex.Message}", null, ex);
        }

        _current = inbox;
        _provider = providerSubject;
        _callId = callId;
        headers.Add(StreamingProtocol.StreamHeader, "1");
        headers.Add(StreamingProtocol.InboxHeader, inbox.Subject);
        headers.Add(StreamingProtocol.WindowHeader, StreamingProtocol.Format(options.Window));
        headers.Add(StreamingProtocol.IdleHeader, StreamingProtocol.Format((long)options.IdleTimeout.TotalMilliseconds));
        headers.Add(StreamingProtocol.BatchHeader, "1");
    }

    /// <summary>The inbox of the attempt that opened the stream; the opener lets go of it.</summary>
    public StreamInbox Take()
    {
        var inbox = _current ?? throw new InvalidOperationException("No stream attempt was opened.");
        _current = null;
        return inbox;
    }

    /// <summary>
    /// The current attempt failed (or the whole open did): closes its inbox and, in case the open reached its provider
    /// late, tells that provider to stop.
    /// </summary>
    public async ValueTask AbandonAsync()
    {
        var inbox = _current;
        if (inbox is null)
        {
            return;
        }

        _current = null;
        await inbox.DisposeAsync().ConfigureAwait(false);
        try
        {
            await runtime.Transport.PublishAsync(_provider!, ReadOnlyMemory<byte>.Empty, StreamingProtocol.Single(WireProtocol.CancelHeader, _callId!)).ConfigureAwait(false);
        }
        catch (MaculaTransportException)
        {
            // Best effort: a provider that never hears from this client stops at its idle timeout.
        }
    }
}
