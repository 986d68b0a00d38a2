using System.Text;
using System.Threading.Channels;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>
/// What only the NATS transport has, against one real nats-server: its reply inbox, slow-consumer and handler events,
/// connecting, max_payload from the server, the app's own connection. What every transport must do is in
/// <see cref="NatsTransportConformanceTests"/>.
/// </summary>
[Collection(NatsServerCollection.Name)]
public sealed class SingleServerTests(NatsServerFixture fixture) : IAsyncLifetime
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
    public async Task Request_gets_the_reply_of_a_responder_and_many_requests_share_one_inbox()
    {
        IMaculaTransport responder = await ConnectAsync();
        var requesterTransport = await ConnectAsync();
        IMaculaTransport requester = requesterTransport;
        await using var service = await responder.SubscribeAsync("math.double", async m =>
        {
            int n = int.Parse(Encoding.UTF8.GetString(m.Payload.Span), System.Globalization.CultureInfo.InvariantCulture);
            await responder.PublishAsync(m.ReplyTo!, Encoding.UTF8.GetBytes((n * 2).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });

        var replies = await Task.WhenAll(Enumerable.Range(1, 50).Select(async i =>
            Encoding.UTF8.GetString((await requester.RequestAsync("math.double", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), null, TimeSpan.FromSeconds(10))).Payload.Span)));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (i * 2).ToString(System.Globalization.CultureInfo.InvariantCulture)), replies);

        // The inbox is one wildcard subscription for all 50 requests.
        Assert.Single(requesterTransport.SubscriptionSubjects(), s => s.StartsWith("_INBOX.", StringComparison.Ordinal));
        Assert.EndsWith(".*", requesterTransport.SubscriptionSubjects().Single());
    }

    [Fact]
    public async Task MaxPayload_is_the_max_payload_the_server_announces()
    {
        // The conformance suite checks the limit at whatever MaxPayload says; this checks where it comes from.
        string dir = Directory.CreateTempSubdirectory("macula-max-payload-").FullName;
        try
        {
            string config = Path.Combine(dir, "max-payload.conf");
            File.WriteAllText(config, "max_payload: 65536\n");
            await using var server = await NatsServerProcess.StartNewAsync("-c", config);
            await using var transport = new NatsTransport(TestTimes.Options(server.Url));
            Assert.Equal(1024 * 1024, transport.MaxPayload);
            await transport.ConnectAsync();
            Assert.Equal(65536, transport.MaxPayload);

            var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.PublishAsync("big", new byte[65537]));
            Assert.Equal(TransportErrorKind.PayloadTooLarge, e.Kind);
            Assert.Contains("65537 bytes", e.Message);
            Assert.Contains("max_payload of 65536", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_message_with_malformed_headers_is_dropped_and_reported_and_the_subscription_goes_on()
    {
        var events = new EventLog();
        var transport = new NatsTransport(TestTimes.Options(fixture.Url) with { OnEvent = events.Sink });
        _transports.Add(transport);
        await transport.ConnectAsync();
        var received = Channel.CreateUnbounded<TransportMessage>();
        await using var subscription = await ((IMaculaTransport)transport).SubscribeAsync("raw.headers", m => received.Writer.WriteAsync(m));

        // A peer that writes the protocol itself: nats-server passes header bytes on as they are.
        var uri = new Uri(fixture.Url);
        using var peer = new System.Net.Sockets.TcpClient();
        await peer.ConnectAsync(uri.Host, uri.Port);
        var stream = peer.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.StartsWith("INFO", await reader.ReadLineAsync());
        static string Hpub(string subject, string headers, string body) => $"HPUB {subject} {headers.Length} {headers.Length + body.Length}\r\n{headers}{body}\r\n";
        string commands = "CONNECT {\"verbose\":false,\"headers\":true,\"protocol\":1}\r\n"
            + Hpub("raw.headers", "NATS/1.0\r\nno colon here\r\n\r\n", "bad")
            + Hpub("raw.headers", "NATS/1.0\r\nMacula-Status: ok\r\nx-k:  v \r\n\r\n", "good")
            + "PING\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(commands));
        Assert.Equal("PONG", await reader.ReadLineAsync());

        var message = await received.Reader.ReadAsync().AsTask().WaitAsync(TestTimes.Wait);
        Assert.Equal("good", Encoding.ASCII.GetString(message.Payload.Span));
        Assert.Equal([new("Macula-Status", "ok"), new("x-k", "v")], message.Headers!.ToArray());
        var dropped = await events.WaitForAsync(NatsEventKind.MessageDropped);
        Assert.Contains("'raw.headers'", dropped.Message);
        Assert.Contains("malformed", dropped.Message);
        Assert.False(received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_handler_that_falls_far_behind_is_reported_as_a_slow_consumer_without_stalling_the_connection()
    {
        var events = new EventLog();
        IMaculaTransport a = await ConnectAsync();
        var bTransport = new NatsTransport(TestTimes.Options(fixture.Url) with { OnEvent = events.Sink, ConfigureNatsOpts = o => o with { SubPendingChannelCapacity = 16 } });
        _transports.Add(bTransport);
        await bTransport.ConnectAsync();
        IMaculaTransport b = bTransport;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<int>();
        await using var slow = await b.SubscribeAsync("behind", async m =>
        {
            await release.Task;
            lock (seen)
            {
                seen.Add(BitConverter.ToInt32(m.Payload.Span));
            }
        });
        var fast = Channel.CreateUnbounded<TransportMessage>();
        await using var other = await b.SubscribeAsync("ahead", m => fast.Writer.WriteAsync(m));

        for (int i = 0; i < 200; i++)
        {
            await a.PublishAsync("behind", BitConverter.GetBytes(i));
        }

        await a.PublishAsync("ahead", "go"u8.ToArray());
        Assert.Equal("go", Encoding.UTF8.GetString((await ReadAsync(fast)).Payload.Span));
        Assert.Contains("'behind'", (await events.WaitForAsync(NatsEventKind.SlowConsumer)).Message);
        await events.WaitForAsync(NatsEventKind.MessageDropped);

        release.SetResult();
        await bTransport.FlushAsync(TestTimes.Wait);
        await TestTimes.WaitUntilAsync(() => { lock (seen) { return seen.Count >= 16; } }, "the slow handler caught up with what was kept");
        await Task.Delay(200);
        lock (seen)
        {
            Assert.InRange(seen.Count, 16, 199);
            Assert.Equal(seen.Order(), seen);
        }
    }

    [Fact]
    public async Task A_handler_that_throws_is_reported_and_delivery_goes_on()
    {
        var events = new EventLog();
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync(events);
        var got = Channel.CreateUnbounded<int>();
        await using var sub = await b.SubscribeAsync("throws", async m =>
        {
            if (m.Payload.Span[0] == 0)
            {
                throw new InvalidOperationException("boom");
            }

            await got.Writer.WriteAsync(m.Payload.Span[0]);
        });

        await a.PublishAsync("throws", new byte[] { 0 });
        await a.PublishAsync("throws", new byte[] { 1 });
        Assert.Equal(1, await got.Reader.ReadAsync().AsTask().WaitAsync(TestTimes.Wait));
        var reported = await events.WaitForAsync(NatsEventKind.HandlerFailed);
        Assert.Contains("boom", reported.Message);
    }

    [Fact]
    public async Task Publishing_before_connecting_or_after_closing_fails_without_sending()
    {
        await using var transport = new NatsTransport(TestTimes.Options(fixture.Url));
        var notConnected = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.PublishAsync("x", "1"u8.ToArray()));
        Assert.Equal(TransportErrorKind.NotSent, notConnected.Kind);
        Assert.Contains("ConnectAsync", notConnected.Message);

        await transport.ConnectAsync();
        await transport.ConnectAsync();
        Assert.True(transport.IsConnected);
        Assert.Equal(fixture.Url, transport.ConnectedServer);
        await transport.DisposeAsync();
        Assert.True(transport.IsClosed);
        var closed = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.PublishAsync("x", "1"u8.ToArray()));
        Assert.Equal(TransportErrorKind.Closed, closed.Kind);
        await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.ConnectAsync());
    }

    [Fact]
    public async Task On_the_apps_own_connection_macula_shares_it_and_disposing_the_transport_leaves_it_open()
    {
        await using var app = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = fixture.Url, Name = "the-app" });
        await app.ConnectAsync();
        var appSub = await app.SubscribeCoreAsync<string>("app.events");
        var events = new EventLog();
        var shared = new NatsTransport(app, events.Sink);
        await shared.ConnectAsync();
        Assert.Same(app, shared.Connection);
        IMaculaTransport other = await ConnectAsync();

        // Macula's request/reply and the app's own subscription on the one connection.
        _ = await ((IMaculaTransport)shared).SubscribeAsync("macula.side", async m => await shared.PublishAsync(m.ReplyTo!, m.Payload));
        var reply = await other.RequestAsync("macula.side", "x"u8.ToArray(), null, TimeSpan.FromSeconds(10));
        Assert.Equal("x", Encoding.UTF8.GetString(reply.Payload.Span));
        await other.PublishAsync("app.events", "for the app"u8.ToArray());
        Assert.Equal("for the app", (await appSub.Msgs.ReadAsync().AsTask().WaitAsync(TestTimes.Wait)).Data);

        await shared.DisposeAsync();
        Assert.Equal(NATS.Client.Core.NatsConnectionState.Open, app.ConnectionState);
        Assert.DoesNotContain(events.All, e => e.Kind == NatsEventKind.Closed);
        await other.PublishAsync("app.events", "still here"u8.ToArray());
        Assert.Equal("still here", (await appSub.Msgs.ReadAsync().AsTask().WaitAsync(TestTimes.Wait)).Data);

        // The subscription left undisposed went with the transport: nobody answers its subject any more.
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await other.RequestAsync("macula.side", "x"u8.ToArray(), null, TimeSpan.FromSeconds(30)));
        Assert.Equal(TransportErrorKind.NoResponders, e.Kind);
        await appSub.DisposeAsync();
    }

    private async Task<NatsTransport> ConnectAsync(EventLog? events = null)
    {
        var transport = new NatsTransport(TestTimes.Options(fixture.Url) with { OnEvent = events?.Sink });
        _transports.Add(transport);
        await transport.ConnectAsync();
        return transport;
    }

    private static async Task<T> ReadAsync<T>(Channel<T> channel) => await channel.Reader.ReadAsync().AsTask().WaitAsync(TestTimes.Wait);
}
