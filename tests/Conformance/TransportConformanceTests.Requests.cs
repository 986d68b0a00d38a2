using System.Diagnostics;
using System.Globalization;
using System.Text;
using Macula.Transport;

namespace Macula.Testing;

/// <summary>Request/reply: replies, no responders, timeouts, cancellation, a lost connection.</summary>
public abstract partial class TransportConformanceTests
{
    [Fact]
    public async Task A_reply_published_to_the_requests_reply_subject_completes_the_request()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        string? replyTo = null;
        await using var service = await responder.SubscribeAsync(Subject("math.double"), async m =>
        {
            replyTo = m.ReplyTo;
            int n = int.Parse(Encoding.UTF8.GetString(m.Payload.Span), CultureInfo.InvariantCulture);
            await responder.PublishAsync(m.ReplyTo!, Encoding.UTF8.GetBytes((n * 2).ToString(CultureInfo.InvariantCulture)));
        });

        var reply = await requester.RequestAsync(Subject("math.double"), "21"u8.ToArray(), null, Wait);

        Assert.Equal("42", Encoding.UTF8.GetString(reply.Payload.Span));
        Assert.NotNull(replyTo);
        Assert.Equal(replyTo, reply.Subject);
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_reply()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        await using var service = await responder.SubscribeAsync(Subject("math.square"), async m =>
        {
            int n = Number(m);
            await responder.PublishAsync(m.ReplyTo!, Number(n * n));
        });

        var replies = await Task.WhenAll(Enumerable.Range(1, 100).Select(async i =>
            Number(await requester.RequestAsync(Subject("math.square"), Number(i), null, Wait))));

        Assert.Equal(Enumerable.Range(1, 100).Select(i => i * i), replies);
    }

    [Fact]
    public async Task A_request_nobody_subscribes_to_fails_at_once_with_no_responders_and_was_not_delivered()
    {
        var requester = await ConnectAsync();

        // The timeout is one no test waits out: only no-responders can end the request in time.
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await requester.RequestAsync(Subject("nobody.home"), "hi"u8.ToArray(), null, Forever).AsTask().WaitAsync(Wait));

        Assert.Equal(TransportErrorKind.NoResponders, e.Kind);
        Assert.True(e.NotDelivered);
        Assert.Contains(Subject("nobody.home"), e.Message);
    }

    [Fact]
    public async Task An_empty_reply_after_a_no_responders_is_a_reply()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        await using var empty = await responder.SubscribeAsync(Subject("empty.reply"), async m =>
            await responder.PublishAsync(m.ReplyTo!, ReadOnlyMemory<byte>.Empty, new MaculaHeaders { { "Macula-Status", "ok" } }));

        for (int i = 0; i < 3; i++)
        {
            var none = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
                await requester.RequestAsync(Subject("nobody.at.all"), "x"u8.ToArray(), null, Forever).AsTask().WaitAsync(Wait));
            Assert.Equal(TransportErrorKind.NoResponders, none.Kind);

            var reply = await requester.RequestAsync(Subject("empty.reply"), "x"u8.ToArray(), null, Wait);
            Assert.True(reply.Payload.IsEmpty);
            Assert.Equal("ok", reply.Headers!["Macula-Status"]);
        }
    }

    [Fact]
    public async Task A_request_nobody_answers_fails_with_timeout_after_the_timeout_and_may_have_been_delivered()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        int received = 0;
        await using var silent = await responder.SubscribeAsync(Subject("silent"), _ =>
        {
            Interlocked.Increment(ref received);
            return ValueTask.CompletedTask;
        });

        var timeout = TimeSpan.FromMilliseconds(300);
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await requester.RequestAsync(Subject("silent"), "hi"u8.ToArray(), null, timeout));
        clock.Stop();

        Assert.Equal(TransportErrorKind.Timeout, e.Kind);
        Assert.False(e.NotDelivered);
        Assert.Contains(Subject("silent"), e.Message);

        // Not before the timeout (less a timer tick); how much later is the machine's business, not the contract's.
        Assert.True(clock.Elapsed >= timeout - TimeSpan.FromMilliseconds(20), $"timed out after {clock.Elapsed.TotalMilliseconds:0} ms");
        await WaitUntilAsync(() => Volatile.Read(ref received) == 1, "the silent subscriber got the request");
    }

    [Fact]
    public async Task A_cancelled_request_throws_operation_cancelled()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var silent = await responder.SubscribeAsync(Subject("silent.cancel"), _ =>
        {
            received.TrySetResult();
            return ValueTask.CompletedTask;
        });

        using var cts = new CancellationTokenSource();
        var request = requester.RequestAsync(Subject("silent.cancel"), "hi"u8.ToArray(), null, Forever, cts.Token).AsTask();
        await received.Task.WaitAsync(Wait);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WaitAsync(Wait));

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await requester.RequestAsync(Subject("silent.cancel"), "hi"u8.ToArray(), null, Forever, cancelled.Token));
    }

    [Fact]
    public async Task A_request_in_flight_when_the_connection_drops_fails_at_once_with_connection_lost_and_may_have_been_delivered()
    {
        var bus = await StartOwnBusAsync();
        var requester = await bus.ConnectAsync();
        var responder = await bus.ConnectAsync();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sub = await responder.SubscribeAsync(Subject("never.answers"), _ =>
        {
            received.TrySetResult();
            return ValueTask.CompletedTask;
        });

        var request = requester.RequestAsync(Subject("never.answers"), "hi"u8.ToArray(), null, Forever).AsTask();
        await received.Task.WaitAsync(Wait);
        await bus.DropConnectionsAsync();

        var e = await Assert.ThrowsAsync<MaculaTransportException>(() => request.WaitAsync(Wait));
        Assert.Equal(TransportErrorKind.ConnectionLost, e.Kind);
        Assert.False(e.NotDelivered);
        Assert.Contains(Subject("never.answers"), e.Message);
        if (bus.Address is { } address)
        {
            Assert.Contains(address, e.Message);
        }
    }

    [Fact]
    public async Task A_request_waiting_when_its_transport_is_disposed_fails_with_closed_and_may_have_been_delivered()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sub = await responder.SubscribeAsync(Subject("disposed.while.waiting"), _ =>
        {
            received.TrySetResult();
            return ValueTask.CompletedTask;
        });

        var request = requester.RequestAsync(Subject("disposed.while.waiting"), "hi"u8.ToArray(), null, Forever).AsTask();
        await received.Task.WaitAsync(Wait);
        await requester.DisposeAsync();

        var e = await Assert.ThrowsAsync<MaculaTransportException>(() => request.WaitAsync(Wait));
        Assert.Equal(TransportErrorKind.Closed, e.Kind);

        // It reached the subscriber: closed, but not "not delivered".
        Assert.False(e.NotDelivered);
        Assert.Contains(Subject("disposed.while.waiting"), e.Message);
    }
}
