using System.Text;
using System.Threading.Channels;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>The transport against one real nats-server, always through <see cref="IMaculaTransport"/> where it can.</summary>
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
    public async Task Publishes_reach_a_subscriber_on_another_connection_in_order()
    {
        IMaculaTransport publisher = await ConnectAsync();
        IMaculaTransport subscriber = await ConnectAsync();
        var received = Channel.CreateUnbounded<TransportMessage>();
        await using var subscription = await subscriber.SubscribeAsync("orders.*", m => received.Writer.WriteAsync(m));

        for (int i = 0; i < 100; i++)
        {
            await publisher.PublishAsync($"orders.{i % 3}", Encoding.UTF8.GetBytes($"order {i}"), replyTo: i == 0 ? "reply.here" : null);
        }

        for (int i = 0; i < 100; i++)
        {
            var message = await ReadAsync(received);
            Assert.Equal($"order {i}", Encoding.UTF8.GetString(message.Payload.Span));
            Assert.Equal($"orders.{i % 3}", message.Subject);
            Assert.Equal(i == 0 ? "reply.here" : null, message.ReplyTo);
            Assert.Null(message.Headers);
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
    public async Task A_subscription_is_live_on_the_server_when_subscribe_returns()
    {
        // The request comes from another connection, so only the server's confirmation of the SUB orders the two.
        IMaculaTransport responder = await ConnectAsync();
        IMaculaTransport requester = await ConnectAsync();
        for (int i = 0; i < 50; i++)
        {
            string subject = $"live.{i}";
            await using var sub = await responder.SubscribeAsync(subject, async m => await responder.PublishAsync(m.ReplyTo!, m.Payload));
            var reply = await requester.RequestAsync(subject, new[] { (byte)i }, null, TimeSpan.FromSeconds(10));
            Assert.Equal(i, reply.Payload.Span[0]);
        }
    }

    [Fact]
    public async Task Headers_round_trip_on_publish_request_and_reply()
    {
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync();
        var seen = new TaskCompletionSource<TransportMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var service = await b.SubscribeAsync("svc.echo", async m =>
        {
            seen.TrySetResult(m);
            var replyHeaders = new MaculaHeaders { { "Macula-Status", "ok" }, { "Echo", m.Headers?["Macula-Method"] ?? "none" } };
            await b.PublishAsync(m.ReplyTo!, m.Payload, replyHeaders);
        });

        var headers = new MaculaHeaders
        {
            { "Macula-Method", "AddAsync" },
            { "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
            { "X-Multi", "one" },
            { "X-Multi", "two" },
            { "X-Unicode", "Grüße 🌍" },
        };
        var reply = await a.RequestAsync("svc.echo", "payload"u8.ToArray(), headers, TimeSpan.FromSeconds(10));

        var request = await seen.Task.WaitAsync(TestTimes.Wait);
        Assert.Equal(headers.ToList(), request.Headers!.ToList());
        Assert.Equal("ok", reply.Headers!["Macula-Status"]);
        Assert.Equal("AddAsync", reply.Headers["echo"]);
        Assert.Equal("payload", Encoding.UTF8.GetString(reply.Payload.Span));

        // Headers with an empty body, and a body-less publish, both survive.
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var sub = await b.SubscribeAsync("svc.headers-only", m => got.Writer.WriteAsync(m));
        await a.PublishAsync("svc.headers-only", ReadOnlyMemory<byte>.Empty, new MaculaHeaders { { "Only", "headers" } });
        var only = await ReadAsync(got);
        Assert.Equal("headers", only.Headers!["Only"]);
        Assert.True(only.Payload.IsEmpty);
    }

    [Fact]
    public async Task A_payload_near_max_payload_is_delivered_and_one_over_it_fails_with_a_clear_error()
    {
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync();
        Assert.Equal(1024 * 1024, a.MaxPayload);
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var sub = await b.SubscribeAsync("big", m => got.Writer.WriteAsync(m));

        var headers = new MaculaHeaders { { "Part", "1" } };
        byte[] large = new byte[a.MaxPayload - 100];
        Random.Shared.NextBytes(large);
        await a.PublishAsync("big", large, headers);
        var message = await ReadAsync(got);
        Assert.True(large.AsSpan().SequenceEqual(message.Payload.Span));

        byte[] tooLarge = new byte[a.MaxPayload + 1];
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await a.PublishAsync("big", tooLarge));
        Assert.Equal(TransportErrorKind.PayloadTooLarge, e.Kind);
        Assert.True(e.NotDelivered);
        Assert.Contains((a.MaxPayload + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Contains("max_payload of 1048576", e.Message);

        // Headers count toward the limit too.
        var e2 = await Assert.ThrowsAsync<MaculaTransportException>(async () => await a.RequestAsync("big", new byte[a.MaxPayload], headers, TimeSpan.FromSeconds(5)));
        Assert.Equal(TransportErrorKind.PayloadTooLarge, e2.Kind);

        // The connection is still fine afterwards.
        await a.PublishAsync("big", "small"u8.ToArray());
        Assert.Equal("small", Encoding.UTF8.GetString((await ReadAsync(got)).Payload.Span));
    }

    [Fact]
    public async Task A_request_nobody_listens_to_fails_at_once_with_no_responders()
    {
        IMaculaTransport a = await ConnectAsync();
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await a.RequestAsync("nobody.home", "hi"u8.ToArray(), null, TimeSpan.FromSeconds(60)));
        Assert.Equal(TransportErrorKind.NoResponders, e.Kind);
        Assert.Contains("nobody.home", e.Message);
        Assert.True(e.NotDelivered);
    }

    [Fact]
    public async Task An_empty_reply_after_a_no_responders_is_a_reply()
    {
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync();
        await using var empty = await b.SubscribeAsync("empty.reply", async m => await b.PublishAsync(m.ReplyTo!, ReadOnlyMemory<byte>.Empty, new MaculaHeaders { { "Macula-Status", "ok" } }));
        for (int i = 0; i < 3; i++)
        {
            var none = await Assert.ThrowsAsync<MaculaTransportException>(async () => await a.RequestAsync("nobody.at.all", "x"u8.ToArray(), null, TimeSpan.FromSeconds(30)));
            Assert.Equal(TransportErrorKind.NoResponders, none.Kind);
            var reply = await a.RequestAsync("empty.reply", "x"u8.ToArray(), null, TimeSpan.FromSeconds(10));
            Assert.True(reply.Payload.IsEmpty);
            Assert.Equal("ok", reply.Headers!["Macula-Status"]);
        }
    }

    [Fact]
    public async Task A_request_without_a_reply_times_out()
    {
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync();
        await using var silent = await b.SubscribeAsync("silent", _ => ValueTask.CompletedTask);
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await a.RequestAsync("silent", "hi"u8.ToArray(), null, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(TransportErrorKind.Timeout, e.Kind);
        Assert.False(e.NotDelivered);
    }

    [Fact]
    public async Task A_cancelled_request_throws_operation_cancelled()
    {
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync();
        await using var silent = await b.SubscribeAsync("silent.cancel", _ => ValueTask.CompletedTask);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await a.RequestAsync("silent.cancel", "hi"u8.ToArray(), null, TimeSpan.FromSeconds(60), cts.Token));
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_delivery()
    {
        IMaculaTransport a = await ConnectAsync();
        var bTransport = await ConnectAsync();
        IMaculaTransport b = bTransport;
        var got = Channel.CreateUnbounded<TransportMessage>();
        var subscription = await b.SubscribeAsync("dispose.me", m => got.Writer.WriteAsync(m));
        await a.PublishAsync("dispose.me", "1"u8.ToArray());
        await ReadAsync(got);
        await subscription.DisposeAsync();
        await bTransport.FlushAsync(TestTimes.Wait);
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await a.RequestAsync("dispose.me", "x"u8.ToArray(), null, TimeSpan.FromSeconds(30)));
        Assert.Equal(TransportErrorKind.NoResponders, e.Kind);
    }

    [Fact]
    public async Task A_slow_handler_delays_only_its_own_subscription_and_sees_its_messages_in_order()
    {
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowSeen = new List<int>();
        var fast = Channel.CreateUnbounded<TransportMessage>();
        await using var slowSub = await b.SubscribeAsync("slow", async m =>
        {
            await release.Task;
            lock (slowSeen)
            {
                slowSeen.Add(m.Payload.Span[0]);
            }
        });
        await using var fastSub = await b.SubscribeAsync("fast", m => fast.Writer.WriteAsync(m));

        for (int i = 0; i < 20; i++)
        {
            await a.PublishAsync("slow", new[] { (byte)i });
        }

        await a.PublishAsync("fast", "go"u8.ToArray());

        // The fast subscription gets its message while every slow handler call is still blocked.
        Assert.Equal("go", Encoding.UTF8.GetString((await ReadAsync(fast)).Payload.Span));
        Assert.Empty(slowSeen);

        release.SetResult();
        await TestTimes.WaitUntilAsync(() => { lock (slowSeen) { return slowSeen.Count == 20; } }, "the slow handler saw every message");
        Assert.Equal(Enumerable.Range(0, 20), slowSeen);
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
    public async Task Queue_groups_share_messages_and_wildcards_match()
    {
        IMaculaTransport a = await ConnectAsync();
        IMaculaTransport b = await ConnectAsync();
        int first = 0, second = 0, all = 0;
        await using var w1 = await b.SubscribeAsync("jobs.>", _ => { Interlocked.Increment(ref first); return ValueTask.CompletedTask; }, "workers");
        await using var w2 = await b.SubscribeAsync("jobs.>", _ => { Interlocked.Increment(ref second); return ValueTask.CompletedTask; }, "workers");
        await using var tap = await b.SubscribeAsync("jobs.*.new", _ => { Interlocked.Increment(ref all); return ValueTask.CompletedTask; });

        for (int i = 0; i < 40; i++)
        {
            await a.PublishAsync($"jobs.{i}.new", "j"u8.ToArray());
        }

        await TestTimes.WaitUntilAsync(() => Volatile.Read(ref first) + Volatile.Read(ref second) == 40 && Volatile.Read(ref all) == 40, "every job was seen once by the group and once by the tap");
        await ((NatsTransport)b).FlushAsync(TestTimes.Wait);
        Assert.Equal(40, first + second);
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
    public async Task Publishes_accepted_before_dispose_are_flushed_by_it()
    {
        IMaculaTransport b = await ConnectAsync();
        int count = 0;
        await using var sub = await b.SubscribeAsync("flushed.on.close", _ => { Interlocked.Increment(ref count); return ValueTask.CompletedTask; });
        var a = new NatsTransport(TestTimes.Options(fixture.Url));
        await a.ConnectAsync();
        for (int i = 0; i < 1000; i++)
        {
            await a.PublishAsync("flushed.on.close", new byte[100]);
        }

        await a.DisposeAsync();
        await TestTimes.WaitUntilAsync(() => Volatile.Read(ref count) == 1000, "all 1000 messages arrived");
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
