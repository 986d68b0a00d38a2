using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Testing;

/// <summary>Limits and lifetime: payload size, subject syntax, connecting, disposing.</summary>
public abstract partial class TransportConformanceTests
{
    [Fact]
    public async Task A_payload_of_max_payload_is_delivered_and_one_byte_more_fails_before_it_is_sent_naming_both_sizes()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var sub = await subscriber.SubscribeAsync(Subject("big"), m => got.Writer.WriteAsync(m));
        int max = publisher.MaxPayload;
        Assert.True(max > 0);

        byte[] largest = new byte[max];
        Random.Shared.NextBytes(largest);
        await publisher.PublishAsync(Subject("big"), largest);
        var delivered = await ReadAsync(got);
        Assert.True(largest.AsSpan().SequenceEqual(delivered.Payload.Span));

        var published = await Assert.ThrowsAsync<MaculaTransportException>(async () => await publisher.PublishAsync(Subject("big"), new byte[max + 1]));
        Assert.Equal(TransportErrorKind.PayloadTooLarge, published.Kind);
        Assert.True(published.NotDelivered);
        Assert.Contains((max + 1).ToString(CultureInfo.InvariantCulture), published.Message);
        Assert.Contains(max.ToString(CultureInfo.InvariantCulture), published.Message);

        var requested = await Assert.ThrowsAsync<MaculaTransportException>(async () => await publisher.RequestAsync(Subject("big"), new byte[max + 1], null, Wait));
        Assert.Equal(TransportErrorKind.PayloadTooLarge, requested.Kind);
        Assert.True(requested.NotDelivered);

        // Neither went out, and the transport is still fine: the next message the subscriber gets is this one.
        await publisher.PublishAsync(Subject("big"), "small"u8.ToArray());
        Assert.Equal("small", Encoding.UTF8.GetString((await ReadAsync(got)).Payload.Span));
    }

    [Fact]
    public async Task Headers_count_toward_max_payload()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var sub = await subscriber.SubscribeAsync(Subject("big.headers"), m => got.Writer.WriteAsync(m));
        int max = publisher.MaxPayload;
        var headers = new MaculaHeaders { { "Part", "1" } };

        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await publisher.PublishAsync(Subject("big.headers"), new byte[max], headers));
        Assert.Equal(TransportErrorKind.PayloadTooLarge, e.Kind);
        Assert.Contains(max.ToString(CultureInfo.InvariantCulture), e.Message);
        var request = await Assert.ThrowsAsync<MaculaTransportException>(async () => await publisher.RequestAsync(Subject("big.headers"), new byte[max], headers, Wait));
        Assert.Equal(TransportErrorKind.PayloadTooLarge, request.Kind);

        // With room left for the headers it goes out.
        byte[] fits = new byte[max - 1024];
        await publisher.PublishAsync(Subject("big.headers"), fits, headers);
        var message = await ReadAsync(got);
        Assert.Equal(fits.Length, message.Payload.Length);
        Assert.Equal("1", message.Headers!["Part"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("has\ttab")]
    [InlineData("line\r\nPUB x 1")]
    [InlineData("empty..token")]
    [InlineData(".leading")]
    [InlineData("trailing.")]
    [InlineData("wild.*")]
    [InlineData("wild.>")]
    [InlineData("half*.wild")]
    public async Task Publishing_or_requesting_to_a_malformed_subject_is_refused_with_an_argument_exception(string subject)
    {
        var transport = await ConnectAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await transport.PublishAsync(subject, "x"u8.ToArray()));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await transport.RequestAsync(subject, "x"u8.ToArray(), null, Wait));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("line\r\nPUB x 1")]
    [InlineData("empty..token")]
    [InlineData("trailing.")]
    [InlineData("half*.wild")]
    [InlineData("wild.>.not.last")]
    [InlineData("wild.x>")]
    public async Task Subscribing_to_a_malformed_subject_is_refused_with_an_argument_exception(string subject)
    {
        var transport = await ConnectAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await transport.SubscribeAsync(subject, _ => ValueTask.CompletedTask));

        // The transport is still fine.
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var sub = await transport.SubscribeAsync(Subject("still.fine"), m => got.Writer.WriteAsync(m));
        await transport.PublishAsync(Subject("still.fine"), "ok"u8.ToArray());
        Assert.Equal("ok", Encoding.UTF8.GetString((await ReadAsync(got)).Payload.Span));
    }

    [Fact]
    public async Task Connecting_a_connected_transport_is_a_no_op()
    {
        var transport = await ConnectAsync();
        await transport.ConnectAsync();
        await transport.ConnectAsync();
        await using var echo = await transport.SubscribeAsync(Subject("echo"), async m => await transport.PublishAsync(m.ReplyTo!, m.Payload));
        Assert.Equal("x", Encoding.UTF8.GetString((await transport.RequestAsync(Subject("echo"), "x"u8.ToArray(), null, Wait)).Payload.Span));
    }

    [Fact]
    public async Task After_dispose_every_operation_fails_with_closed_and_sends_nothing()
    {
        var transport = await ConnectAsync();
        var other = await ConnectAsync();
        var got = Channel.CreateUnbounded<TransportMessage>();
        await using var watcher = await other.SubscribeAsync(Subject("refused.>"), m => got.Writer.WriteAsync(m));
        var subscription = await transport.SubscribeAsync(Subject("closed.sub"), _ => ValueTask.CompletedTask);

        await transport.DisposeAsync();
        await transport.DisposeAsync();

        var errors = new List<MaculaTransportException>
        {
            await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.ConnectAsync()),
            await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.PublishAsync(Subject("refused.publish"), "x"u8.ToArray())),
            await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.RequestAsync(Subject("refused.request"), "x"u8.ToArray(), null, Wait)),
            await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.SubscribeAsync(Subject("closed.again"), _ => ValueTask.CompletedTask)),
        };
        Assert.All(errors, e => Assert.Equal(TransportErrorKind.Closed, e.Kind));
        Assert.All(errors, e => Assert.True(e.NotDelivered));

        // The subscriptions went with the transport, and disposing one afterwards is harmless.
        var none = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await other.RequestAsync(Subject("closed.sub"), "x"u8.ToArray(), null, Forever).AsTask().WaitAsync(Wait));
        Assert.Equal(TransportErrorKind.NoResponders, none.Kind);
        await subscription.DisposeAsync();

        // The publish and the request refused never went out: the first message the watcher gets is this one.
        await other.PublishAsync(Subject("refused.end"), "x"u8.ToArray());
        Assert.Equal(Subject("refused.end"), (await ReadAsync(got)).Subject);
    }

    [Fact]
    public async Task Messages_published_before_dispose_are_delivered()
    {
        var subscriber = await ConnectAsync();
        var tally = new Tally();
        await using var sub = await subscriber.SubscribeAsync(Subject("flushed.on.close"), tally.Handler);
        var publisher = await ConnectAsync();
        for (int i = 0; i < 1000; i++)
        {
            await publisher.PublishAsync(Subject("flushed.on.close"), Number(i));
        }

        await publisher.DisposeAsync();
        await tally.WaitForAsync(1000);
        Assert.Equal(Enumerable.Range(0, 1000), tally.Seen);
    }
}
