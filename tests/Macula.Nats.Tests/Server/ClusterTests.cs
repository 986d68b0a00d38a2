using System.Text;
using System.Threading.Channels;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

[Collection(NatsClusterCollection.Name)]
public sealed class ClusterTests(NatsClusterFixture cluster)
{
    [Fact]
    public async Task A_client_given_one_member_learns_the_others_from_connect_urls()
    {
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(cluster.Servers[0].Url) with { OnEvent = events.Sink });
        await transport.ConnectAsync();
        await TestTimes.WaitUntilAsync(() => transport.KnownServers.Count == 3, "the other two members were added");
        Assert.Equal(cluster.Servers.Select(s => s.Url).Order(), transport.KnownServers.Order());
        await events.WaitForAsync(NatsEventKind.ServersDiscovered);
    }

    [Fact]
    public async Task Messages_and_requests_cross_members()
    {
        await using var a = new NatsTransport(TestTimes.Options(cluster.Servers[0].Url));
        await using var b = new NatsTransport(TestTimes.Options(cluster.Servers[2].Url));
        await a.ConnectAsync();
        await b.ConnectAsync();
        IMaculaTransport responder = b;
        await using var sub = await responder.SubscribeAsync("cluster.echo", async m => await responder.PublishAsync(m.ReplyTo!, m.Payload));

        // Subscription interest travels between members asynchronously: retry briefly while it propagates.
        TransportMessage? reply = null;
        var deadline = DateTime.UtcNow + TestTimes.Wait;
        while (reply is null)
        {
            try
            {
                reply = await ((IMaculaTransport)a).RequestAsync("cluster.echo", "across"u8.ToArray(), null, TimeSpan.FromSeconds(5));
            }
            catch (MaculaTransportException e) when (e.Kind == TransportErrorKind.NoResponders && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal("across", Encoding.UTF8.GetString(reply.Payload.Span));
    }

    [Fact]
    public async Task When_the_member_in_use_is_killed_the_client_moves_to_another_and_keeps_its_subscriptions()
    {
        var victim = cluster.Servers[1];
        var events = new EventLog();
        await using var client = new NatsTransport(TestTimes.Options(victim.Url) with { OnEvent = events.Sink });
        await using var observer = new NatsTransport(TestTimes.Options(cluster.Servers[0].Url));
        try
        {
            await client.ConnectAsync();
            await observer.ConnectAsync();
            await TestTimes.WaitUntilAsync(() => client.KnownServers.Count == 3, "the client knows every member");
            var got = Channel.CreateUnbounded<string>();
            await using var sub = await client.SubscribeAsync("moving.target", m => got.Writer.WriteAsync(Encoding.UTF8.GetString(m.Payload.Span)));

            victim.Kill();
            await events.WaitForAsync(NatsEventKind.Reconnected);
            Assert.NotNull(client.ConnectedServer);
            Assert.NotEqual(victim.Url, client.ConnectedServer);
            Assert.Contains(client.ConnectedServer, cluster.Servers.Select(s => s.Url));

            // The restored subscription receives what a client on another member publishes.
            await client.FlushAsync(TestTimes.Wait);
            var deadline = DateTime.UtcNow + TestTimes.Wait;
            string? seen = null;
            while (seen is null && DateTime.UtcNow < deadline)
            {
                await observer.PublishAsync("moving.target", "found you"u8.ToArray());
                try
                {
                    seen = await got.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromMilliseconds(200));
                }
                catch (TimeoutException)
                {
                    // Interest may still be propagating through the routes.
                }
            }

            Assert.Equal("found you", seen);
        }
        finally
        {
            await cluster.RestartAsync(1);
        }
    }
}
