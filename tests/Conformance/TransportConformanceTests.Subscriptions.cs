using System.Text;
using System.Threading.Channels;
using Macula.Transport;

namespace Macula.Testing;

/// <summary>Subscriptions: live on return, unsubscribing, handlers that throw or fall behind.</summary>
public abstract partial class TransportConformanceTests
{
    [Fact]
    public async Task A_subscription_is_live_when_subscribe_returns()
    {
        // The request comes from another transport, so nothing but the subscription being in place orders the two.
        var responder = await ConnectAsync();
        var requester = await ConnectAsync();
        for (int i = 0; i < 30; i++)
        {
            string subject = Subject($"live.{i}");
            await using var sub = await responder.SubscribeAsync(subject, async m => await responder.PublishAsync(m.ReplyTo!, m.Payload));
            var reply = await requester.RequestAsync(subject, Number(i), null, Wait);
            Assert.Equal(i, Number(reply));
        }
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_delivery_and_hands_the_handler_what_had_already_reached_it()
    {
        var requester = await ConnectAsync();
        var responder = await ConnectAsync();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new Tally();
        var subscription = await responder.SubscribeAsync(Subject("work"), async m =>
        {
            firstStarted.TrySetResult();
            await release.Task;
            await handled.Handler(m);
            await responder.PublishAsync(m.ReplyTo!, m.Payload);
        });
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var markers = await responder.SubscribeAsync(Subject("work-marker"), _ =>
        {
            marker.TrySetResult();
            return ValueTask.CompletedTask;
        });

        // Three requests, then a marker from the same transport: once the marker has reached the responder, so have
        // the three. The handler holds the first while the subscription is disposed.
        var requests = Enumerable.Range(1, 3).Select(i => requester.RequestAsync(Subject("work"), Number(i), null, Forever).AsTask()).ToArray();
        await requester.PublishAsync(Subject("work-marker"), "m"u8.ToArray());
        await firstStarted.Task.WaitAsync(Wait);
        await marker.Task.WaitAsync(Wait);

        var disposing = subscription.DisposeAsync().AsTask();
        release.SetResult();
        await disposing.WaitAsync(Wait);

        // Disposing returned after the handler had been handed all three, and each was answered.
        Assert.Equal([1, 2, 3], handled.Seen);
        foreach (var (request, i) in requests.Select((r, i) => (r, i + 1)))
        {
            Assert.Equal(i, Number(await request.WaitAsync(Wait)));
        }

        // Nothing more reaches it: a request finds nobody, a publish is not handled.
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await requester.RequestAsync(Subject("work"), Number(4), null, Forever).AsTask().WaitAsync(Wait));
        Assert.Equal(TransportErrorKind.NoResponders, e.Kind);
        var after = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var last = await responder.SubscribeAsync(Subject("work-after"), _ =>
        {
            after.TrySetResult();
            return ValueTask.CompletedTask;
        });
        await requester.PublishAsync(Subject("work"), Number(5));
        await requester.PublishAsync(Subject("work-after"), "m"u8.ToArray());
        await after.Task.WaitAsync(Wait);
        Assert.Equal([1, 2, 3], handled.Seen);

        // Disposing again is harmless.
        await subscription.DisposeAsync();
    }

    [Fact]
    public async Task A_handler_may_dispose_its_own_subscription()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var self = new TaskCompletionSource<IAsyncDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int handled = 0;
        var subscription = await subscriber.SubscribeAsync(Subject("once"), async _ =>
        {
            Interlocked.Increment(ref handled);
            await (await self.Task).DisposeAsync();
            disposed.TrySetResult();
        });
        self.SetResult(subscription);

        await publisher.PublishAsync(Subject("once"), Number(1));
        await disposed.Task.WaitAsync(Wait);

        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await publisher.RequestAsync(Subject("once"), Number(2), null, Forever).AsTask().WaitAsync(Wait));
        Assert.Equal(TransportErrorKind.NoResponders, e.Kind);
        Assert.Equal(1, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task A_responder_that_unsubscribes_under_load_answers_every_request_routed_to_it()
    {
        // A stopping provider unsubscribes while calls stream in. Each request must either be answered or find no
        // responders; one routed to it just before the unsubscribe and then dropped would leave its sender waiting out
        // the timeout, not knowing whether it ran.
        var responder = await ConnectAsync();
        var requester = await ConnectAsync();
        int answered = 0;
        var subscription = await responder.SubscribeAsync(Subject("unsub.under.load"), async m =>
        {
            Interlocked.Increment(ref answered);
            await responder.PublishAsync(m.ReplyTo!, "ok"u8.ToArray());
        });

        int replies = 0, noResponders = 0, timeouts = 0, sentAfterDispose = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            // Each worker goes on until it has seen no-responders after the dispose, bounded after the dispose only:
            // a fast transport sends any fixed number of requests before the 500th reply is noticed.
            while (!stop.IsCancellationRequested && (!disposed.Task.IsCompleted || Interlocked.Increment(ref sentAfterDispose) <= 20_000))
            {
                try
                {
                    await requester.RequestAsync(Subject("unsub.under.load"), "x"u8.ToArray(), null, TimeSpan.FromSeconds(5));
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

        await WaitUntilAsync(() => Volatile.Read(ref replies) >= 500, "500 requests were answered");
        await subscription.DisposeAsync();
        disposed.SetResult();
        await Task.WhenAll(workers);

        Assert.Equal(0, timeouts);
        Assert.True(noResponders >= 16, $"only {noResponders} requests found no responders");
        Assert.Equal(answered, replies);
    }

    [Fact]
    public async Task A_handler_that_throws_does_not_stop_later_messages_of_its_subscription()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var got = Channel.CreateUnbounded<int>();
        await using var sub = await subscriber.SubscribeAsync(Subject("throws"), async m =>
        {
            int n = Number(m);
            if (n == 0)
            {
                throw new InvalidOperationException("thrown before the handler awaits");
            }

            if (n == 2)
            {
                await Task.Yield();
                throw new InvalidOperationException("thrown after the handler awaits");
            }

            await got.Writer.WriteAsync(n);
        });
        await using var sync = await subscriber.SubscribeAsync(Subject("throws.sync"), m =>
            Number(m) == 0 ? throw new InvalidOperationException("thrown by a handler that is not async") : got.Writer.WriteAsync(10 + Number(m)));

        for (int i = 0; i < 4; i++)
        {
            await publisher.PublishAsync(Subject("throws"), Number(i));
        }

        await publisher.PublishAsync(Subject("throws.sync"), Number(0));
        await publisher.PublishAsync(Subject("throws.sync"), Number(1));

        int[] seen = [await ReadAsync(got), await ReadAsync(got), await ReadAsync(got)];
        Assert.Equal([1, 3, 11], seen.Order());
    }

    [Fact]
    public async Task A_slow_handler_delays_only_its_own_subscription_and_sees_its_messages_in_order()
    {
        var publisher = await ConnectAsync();
        var subscriber = await ConnectAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new Tally();
        var fast = Channel.CreateUnbounded<TransportMessage>();
        await using var slowSub = await subscriber.SubscribeAsync(Subject("slow"), async m =>
        {
            await release.Task;
            await slow.Handler(m);
        });
        await using var fastSub = await subscriber.SubscribeAsync(Subject("fast"), m => fast.Writer.WriteAsync(m));

        for (int i = 0; i < 20; i++)
        {
            await publisher.PublishAsync(Subject("slow"), Number(i));
        }

        await publisher.PublishAsync(Subject("fast"), "go"u8.ToArray());

        // The fast subscription gets its message while every slow handler call is still held.
        Assert.Equal("go", Encoding.UTF8.GetString((await ReadAsync(fast)).Payload.Span));
        Assert.Equal(0, slow.Count);

        release.SetResult();
        await slow.WaitForAsync(20);
        Assert.Equal(Enumerable.Range(0, 20), slow.Seen);
    }
}
