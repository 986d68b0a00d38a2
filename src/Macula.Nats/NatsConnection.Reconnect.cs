using Macula.Nats.Internal;
using Macula.Transport;

namespace Macula.Nats;

internal sealed partial class NatsConnection
{
    /// <summary>
    /// Looks for a server after <paramref name="lost"/> went away: each pass tries every server (the lost one last),
    /// and passes are separated by a jittered, exponentially growing wait. Gives up, closing the connection, when
    /// every server has used up <see cref="NatsOptions.MaxReconnectAttempts"/>.
    /// </summary>
    private async Task ReconnectLoopAsync(NatsServerAddress lost)
    {
        var token = _lifetime.Token;
        int pass = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var servers = _pool.NextPass(lost, _options.MaxReconnectAttempts);
                if (servers.Count == 0)
                {
                    GiveUp();
                    return;
                }

                foreach (var server in servers)
                {
                    token.ThrowIfCancellationRequested();
                    try
                    {
                        var link = await ConnectOnceAsync(server, token).ConfigureAwait(false);
                        _pool.RecordSuccess(server);
                        if (Activate(link))
                        {
                            Report(NatsEventKind.Reconnected, $"Reconnected to {server.Url}; {_subscriptions.Count} subscriptions restored.", server.Url);
                        }

                        return;
                    }
                    catch (MaculaTransportException e)
                    {
                        _pool.RecordFailure(server);
                        Report(NatsEventKind.ConnectFailed, $"Reconnecting to {server.Url} failed: {e.Message}", server.Url, e);
                    }
                }

                await Task.Delay(Backoff(pass++), token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed while reconnecting.
        }
        catch (Exception e)
        {
            // Nothing above should throw anything else; if it does, a closed connection is better than a hung one.
            Report(NatsEventKind.ConnectFailed, $"Reconnecting failed unexpectedly: {e.Message}", null, e);
            GiveUp();
        }
    }

    /// <summary>The wait before reconnect pass <paramref name="pass"/> + 1: doubling from ReconnectWait up to ReconnectWaitMax, jittered down by up to half so clients spread out.</summary>
    internal TimeSpan Backoff(int pass)
    {
        double ceiling = Math.Min(
            _options.ReconnectWait.TotalMilliseconds * Math.Pow(2, Math.Min(pass, 30)),
            _options.ReconnectWaitMax.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private void GiveUp()
    {
        string message = $"Gave up reconnecting: every server was tried {_options.MaxReconnectAttempts} times (MaxReconnectAttempts).";
        Shutdown(TransportErrorKind.ConnectionLost, message);
        Report(NatsEventKind.Closed, message);
    }
}
