using System.Diagnostics;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula.Monitoring;

/// <summary>
/// Answers stats requests on <c>macula.&lt;realm&gt;.stats</c> (every node) and <c>macula.&lt;realm&gt;.stats.&lt;nodeId&gt;</c>
/// (this node), and gathers the answers of a realm, as <see cref="Introspection.NodeIntrospection"/> does for node descriptions.
/// </summary>
internal sealed class MeshStatsResponder : IAsyncDisposable
{
    /// <summary>The window a request without one gets.</summary>
    public const int DefaultWindowSeconds = 10;

    private readonly IMaculaTransport _transport;
    private readonly NodeStatsSource _source;
    private readonly Action<string, Exception> _onError;
    private IAsyncDisposable? _one;
    private IAsyncDisposable? _all;

    private MeshStatsResponder(IMaculaTransport transport, NodeStatsSource source, Action<string, Exception> onError)
    {
        _transport = transport;
        _source = source;
        _onError = onError;
    }

    public static async Task<MeshStatsResponder> StartAsync(IMaculaTransport transport, NodeStatsSource source, Action<string, Exception> onError, CancellationToken cancellationToken)
    {
        var responder = new MeshStatsResponder(transport, source, onError);
        responder._one = await transport.SubscribeAsync(Subjects.NodeStats(source.Realm, source.NodeId), responder.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        responder._all = await transport.SubscribeAsync(Subjects.Stats(source.Realm), responder.OnRequestAsync, cancellationToken: cancellationToken).ConfigureAwait(false);
        return responder;
    }

    private async ValueTask OnRequestAsync(TransportMessage message)
    {
        if (message.ReplyTo is null)
        {
            return;
        }

        try
        {
            int window = StatsCodec.ReadRequestWindow(message.Payload, DefaultWindowSeconds);
            await _transport.PublishAsync(message.ReplyTo, StatsCodec.WriteReply(_source.Collect(window))).ConfigureAwait(false);
        }
        catch (MaculaTransportException ex)
        {
            _onError("answering a stats request", ex);
        }
    }

    /// <summary>How long a gather that has heard <c>expected</c> nodes still waits for newcomers.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Publishes one request to the realm and gathers the replies that arrive within <paramref name="gather"/>; with
    /// <paramref name="expected"/>, it stops <see cref="Grace"/> after that many nodes have answered (a poller that
    /// knows how many answered last time need not wait out the whole window on every poll).
    /// </summary>
    public static async Task<MaculaMeshStats> GatherAsync(
        IMaculaTransport transport, string realm, MessagePackSerializerOptions options, TimeProvider time, TimeSpan window, TimeSpan gather,
        Action<string, string> onBadMessage, CancellationToken cancellationToken, int? expected = null)
    {
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int seconds = (int)Math.Clamp(Math.Ceiling(window.TotalSeconds), 1, MethodStatsWindow.Seconds);
        var replies = new List<(NodeStatsReport, TimeSpan)>();
        string inbox = $"_INBOX.macula.{Guid.NewGuid():N}";
        var collectedAt = time.GetUtcNow();
        long started = Stopwatch.GetTimestamp();
        await using (await transport.SubscribeAsync(inbox, message =>
        {
            try
            {
                var report = StatsCodec.ReadReply(message.Payload, options);
                lock (replies)
                {
                    replies.Add((report, Stopwatch.GetElapsedTime(started)));
                    if (replies.Count >= expected)
                    {
                        enough.TrySetResult();
                    }
                }
            }
            catch (MaculaSerializationException)
            {
                onBadMessage(inbox, "an undecodable stats reply was dropped");
            }

            return ValueTask.CompletedTask;
        }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            await transport.PublishAsync(Subjects.Stats(realm), StatsCodec.WriteRequest(seconds), null, inbox, cancellationToken).ConfigureAwait(false);
            var all = Task.Delay(gather, cancellationToken);
            if (expected is > 0 && await Task.WhenAny(all, enough.Task).ConfigureAwait(false) == enough.Task)
            {
                await Task.WhenAny(all, Task.Delay(Grace, cancellationToken)).ConfigureAwait(false);
            }
            else
            {
                await all.ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        lock (replies)
        {
            return MeshStatsBuilder.Mesh(realm, collectedAt, TimeSpan.FromSeconds(seconds), [.. replies]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_one is not null)
        {
            await _one.DisposeAsync().ConfigureAwait(false);
        }

        if (_all is not null)
        {
            await _all.DisposeAsync().ConfigureAwait(false);
        }
    }
}
