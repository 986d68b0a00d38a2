using System.Text;
using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Testing;

/// <summary>Delivery: order, wildcards, queue groups, headers.</summary>
public abstract partial class TransportConformanceTests
{
    [Fact]
    public async Task Messages_of_one_publisher_reach_a_subscription_in_the_order_they_were_published()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var received = Channel.CreateUnbounded<TransportMessage>();
        await using var subscription = await subscriber.SubscribeAsync(Subject("orders.*"), m => received.Writer.WriteAsync(m));

        const int count = 500;
        for (int i = 0; i < count; i++)
        {
            // Sizes vary, so a transport that reorders by size or batches by subject shows it.
            await publisher.PublishAsync(Subject($"orders.{i % 3}"), Encoding.UTF8.GetBytes(OrderText(i)), replyTo: i % 50 == 0 ? Subject("reply.here") : null);
        }

        for (int i = 0; i < count; i++)
        {
            var message = await ReadAsync(received);
            Assert.Equal(OrderText(i), Encoding.UTF8.GetString(message.Payload.Span));
            Assert.Equal(Subject($"orders.{i % 3}"), message.Subject);
            Assert.Equal(i % 50 == 0 ? Subject("reply.here") : null, message.ReplyTo);
            Assert.Null(message.Headers);
        }
    }

    [Fact]
    public async Task A_transport_receives_its_own_publishes_and_answers_its_own_requests()
    {
        var transport = await ConnectAsync();
        var received = Channel.CreateUnbounded<TransportMessage>();
        await using var events = await transport.SubscribeAsync(Subject("self.event"), m => received.Writer.WriteAsync(m));
        await using var echo = await transport.SubscribeAsync(Subject("self.echo"), async m => await transport.PublishAsync(m.ReplyTo!, m.Payload));

        await transport.PublishAsync(Subject("self.event"), "to myself"u8.ToArray());
        Assert.Equal("to myself", Encoding.UTF8.GetString((await ReadAsync(received)).Payload.Span));
        var reply = await transport.RequestAsync(Subject("self.echo"), "ping"u8.ToArray(), null, Wait);
        Assert.Equal("ping", Encoding.UTF8.GetString(reply.Payload.Span));
    }

    [Fact]
    public async Task A_star_matches_exactly_one_token_and_a_greater_than_matches_one_or_more_trailing_tokens()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var star = Channel.CreateUnbounded<string>();
        var rest = Channel.CreateUnbounded<string>();
        var lastStar = Channel.CreateUnbounded<string>();
        var exact = Channel.CreateUnbounded<string>();
        await using var s1 = await subscriber.SubscribeAsync(Subject("wild.*.end"), m => star.Writer.WriteAsync(m.Subject));
        await using var s2 = await subscriber.SubscribeAsync(Subject("wild.>"), m => rest.Writer.WriteAsync(m.Subject));
        await using var s3 = await subscriber.SubscribeAsync(Subject("wild.*"), m => lastStar.Writer.WriteAsync(m.Subject));
        await using var s4 = await subscriber.SubscribeAsync(Subject("wild.x"), m => exact.Writer.WriteAsync(m.Subject));

        string[] published =
        [
            "wild.x.end", "wild.x.y.end", "wild.x", "wild", "other.x.end", "wild.x.endx", "wild.end", "wildx.x.end",

            // Last, one for each subscription after every message it must not get: once that has arrived, so has
            // everything published before it.
            "wild.done.end", "wild.done", "wild.x",
        ];
        foreach (string subject in published)
        {
            await publisher.PublishAsync(Subject(subject), "m"u8.ToArray());
        }

        async Task<string[]> ReadSome(Channel<string> channel, int count)
        {
            var seen = new string[count];
            for (int i = 0; i < count; i++)
            {
                seen[i] = await ReadAsync(channel);
            }

            return seen;
        }

        string[] Subjects(params string[] names) => [.. names.Select(Subject)];

        string[] expectStar = Subjects("wild.x.end", "wild.done.end");
        string[] expectRest = Subjects("wild.x.end", "wild.x.y.end", "wild.x", "wild.x.endx", "wild.end", "wild.done.end", "wild.done", "wild.x");
        string[] expectLastStar = Subjects("wild.x", "wild.end", "wild.done", "wild.x");
        string[] expectExact = Subjects("wild.x", "wild.x");
        Assert.Equal(expectStar, await ReadSome(star, expectStar.Length));
        Assert.Equal(expectRest, await ReadSome(rest, expectRest.Length));
        Assert.Equal(expectLastStar, await ReadSome(lastStar, expectLastStar.Length));
        Assert.Equal(expectExact, await ReadSome(exact, expectExact.Length));
    }

    [Fact]
    public async Task Each_message_goes_to_exactly_one_member_of_each_queue_group_and_to_every_plain_subscriber()
    {
        var publisher = await ConnectAsync();
        var left = await ConnectAsync();
        var right = await ConnectAsync();
        string subject = Subject("jobs.new");
        var workers = new Tally();
        var auditors = new Tally();
        var tapLeft = new Tally();
        var tapRight = new Tally();

        // "workers" has members on two transports, one of them by a wildcard: a group is its name, not its subject.
        var members = new List<IAsyncDisposable>
        {
            await left.SubscribeAsync(subject, workers.Handler, "workers"),
            await left.SubscribeAsync(subject, workers.Handler, "workers"),
            await right.SubscribeAsync(Subject("jobs.*"), workers.Handler, "workers"),
            await left.SubscribeAsync(subject, auditors.Handler, "auditors"),
            await right.SubscribeAsync(subject, auditors.Handler, "auditors"),
        };
        await using var plainLeft = await left.SubscribeAsync(subject, tapLeft.Handler);
        await using var plainRight = await right.SubscribeAsync(Subject("jobs.>"), tapRight.Handler);

        const int count = 60;
        for (int i = 0; i < count; i++)
        {
            await publisher.PublishAsync(subject, Number(i));
        }

        // Every plain subscriber has everything, so every message has been routed; disposing the members hands them
        // what had reached them, so after it the groups' counts are final.
        await tapLeft.WaitForAsync(count);
        await tapRight.WaitForAsync(count);
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }

        Assert.Equal(Enumerable.Range(0, count), workers.Seen.Order());
        Assert.Equal(Enumerable.Range(0, count), auditors.Seen.Order());
        Assert.Equal(Enumerable.Range(0, count), tapLeft.Seen);
        Assert.Equal(Enumerable.Range(0, count), tapRight.Seen);
    }

    [Fact]
    public async Task Request_headers_reach_the_subscriber_and_reply_headers_reach_the_requester()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        var seen = new TaskCompletionSource<TransportMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var service = await responder.SubscribeAsync(Subject("svc.echo"), async m =>
        {
            seen.TrySetResult(m);
            var replyHeaders = new MaculaHeaders
            {
                { "Macula-Status", "ok" },
                { "Echo", m.Headers?["Macula-Method"] ?? "none" },
                { "Reply-Unicode", "ответ ✓ 日本" },
                { "Reply-Empty", "" },
            };
            await responder.PublishAsync(m.ReplyTo!, m.Payload, replyHeaders);
        });

        var headers = new MaculaHeaders
        {
            { "Macula-Method", "AddAsync" },
            { "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
            { "X-Multi", "one" },
            { "X-Multi", "two" },
            { "X-Unicode", "Grüße 🌍" },
            { "X-Empty", "" },
        };
        var reply = await requester.RequestAsync(Subject("svc.echo"), "payload"u8.ToArray(), headers, Wait);

        // Names keep their case; a repeated name's values, added one after the other, keep their order.
        var request = await seen.Task.WaitAsync(Wait);
        Assert.NotNull(request.Headers);
        Assert.Equal(headers.ToList(), request.Headers.ToList());
        Assert.Equal(["one", "two"], Values(request.Headers, "x-multi"));
        Assert.Equal("", request.Headers["X-Empty"]);
        Assert.Equal("payload", Encoding.UTF8.GetString(request.Payload.Span));

        Assert.NotNull(reply.Headers);
        Assert.Equal("ok", reply.Headers["Macula-Status"]);
        Assert.Equal("AddAsync", reply.Headers["echo"]);
        Assert.Equal("ответ ✓ 日本", reply.Headers["Reply-Unicode"]);
        Assert.True(reply.Headers.TryGetValue("Reply-Empty", out string empty));
        Assert.Equal("", empty);
        Assert.Equal("payload", Encoding.UTF8.GetString(reply.Payload.Span));
    }

    [Fact]
    public async Task A_message_with_headers_and_an_empty_payload_arrives_with_its_headers_and_an_empty_payload()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var sub = await subscriber.SubscribeAsync(Subject("headers.only"), m => got.Writer.WriteAsync(m));

        await publisher.PublishAsync(Subject("headers.only"), ReadOnlyMemory<byte>.Empty, new MaculaHeaders { { "Only", "headers" } });
        await publisher.PublishAsync(Subject("headers.only"), ReadOnlyMemory<byte>.Empty);

        var withHeaders = await ReadAsync(got);
        Assert.Equal("headers", withHeaders.Headers!["Only"]);
        Assert.True(withHeaders.Payload.IsEmpty);
        var bare = await ReadAsync(got);
        Assert.True(bare.Payload.IsEmpty);
        Assert.Null(bare.Headers?["Only"]);
    }

    [Fact]
    public async Task Headers_and_payload_changed_after_publishing_do_not_change_the_message_sent()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var sub = await subscriber.SubscribeAsync(Subject("copied"), async m =>
        {
            // Held until the publisher has changed what it published from.
            await release.Task;
            await got.Writer.WriteAsync(m);
        });

        var headers = new MaculaHeaders { { "Version", "1" } };
        byte[] payload = "first"u8.ToArray();
        await publisher.PublishAsync(Subject("copied"), payload, headers);
        headers["Version"] = "2";
        headers.Add("Added", "later");
        "later"u8.CopyTo(payload);
        release.SetResult();

        var message = await ReadAsync(got);
        Assert.Equal("1", message.Headers!["Version"]);
        Assert.Null(message.Headers["Added"]);
        Assert.Equal("first", Encoding.UTF8.GetString(message.Payload.Span));
    }

    private static string OrderText(int i) => $"order {i} " + new string('x', i % 7 * 100);

    private static string[] Values(MaculaHeaders headers, string name) =>
        [.. headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];
}
