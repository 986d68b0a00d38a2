using System.Text;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>Ending a subscription that requests are streaming to, against a real nats-server.</summary>
[Collection(NatsServerCollection.Name)]
public sealed class UnsubscribeTests(NatsServerFixture fixture) : IAsyncLifetime
{
    private readonly List<NatsTransport> _transports = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var transport in _transports)
        {
            await transport.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_responder_that_unsubscribes_under_load_answers_every_request_the_server_routed_to_it()
    {
        // A stopping provider unsubscribes while calls stream in. Each request must either be answered or find no
        // responders; one routed to it just before its UNSUB and then dropped would leave its sender waiting out
        // the timeout, not knowing whether it ran.
        IMaculaTransport responder = await ConnectAsync();
        IMaculaTransport requester = await ConnectAsync();
        int answered = 0;
        var subscription = await responder.SubscribeAsync("unsub.under.load", async m =>
        {
            Interlocked.Increment(ref answered);
            await responder.PublishAsync(m.ReplyTo!, "ok"u8.ToArray());
        });

        int replies = 0, noResponders = 0, timeouts = 0, sent = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            // Each worker goes on until it has seen no-responders (the subscription is gone for it), bounded.
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref sent) <= 20_000)
            {
                try
                {
                    await requester.RequestAsync("unsub.under.load", Encoding.UTF8.GetBytes("x"), null, TimeSpan.FromSeconds(5));
                    Interlocked.Increment(ref replies);
                }
                catch (MaculaTransportException e) when (e.Kind == TransportErrorKind.NoResponders)
                {
                    Interlocked.Increment(ref noResponders);
                    if (disposed.Task.IsCompleted)
                    {
                        return;
                    }
                }
                catch (MaculaTransportException e) when (e.Kind == TransportErrorKind.Timeout)
                {
                    Interlocked.Increment(ref timeouts);
                }
            }
        })).ToArray();

        await TestTimes.WaitUntilAsync(() => Volatile.Read(ref replies) >= 500, "500 requests were answered");
        await subscription.DisposeAsync();
        disposed.SetResult();
        await Task.WhenAll(workers);

        Assert.Equal(0, timeouts);
        Assert.True(noResponders >= 16, $"only {noResponders} requests found no responders");
        Assert.Equal(answered, replies);
    }

    private async Task<NatsTransport> ConnectAsync()
    {
        var transport = new NatsTransport(TestTimes.Options(fixture.Url));
        _transports.Add(transport);
        await transport.ConnectAsync();
        return transport;
    }
}
