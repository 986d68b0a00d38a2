using System.Collections.Concurrent;
using Macula.Transport;

namespace Macula.Testing.Events;

/// <summary>Event filters and metadata on every transport: what they carry, the order they run in, what ends a publish or skips a handler.</summary>
public abstract partial class EventConformanceTests
{
    /// <summary>An event filter that logs <c>publish:name</c> and <c>handle:name</c> and optionally does more.</summary>
    private sealed class RecordingFilter(string name, ConcurrentQueue<string> log) : IMaculaEventFilter
    {
        public Action<EventPublishContext>? OnPublish { get; init; }

        public Func<MaculaEventContext, bool>? Pass { get; init; }

        public Exception? ThrowOnHandle { get; init; }

        public ValueTask PublishAsync(EventPublishContext context, Func<EventPublishContext, ValueTask> next)
        {
            log.Enqueue("publish:" + name);
            OnPublish?.Invoke(context);
            return next(context);
        }

        public ValueTask HandleAsync(MaculaEventContext context, Func<MaculaEventContext, ValueTask> next)
        {
            log.Enqueue("handle:" + name);
            if (ThrowOnHandle is { } error)
            {
                throw error;
            }

            return Pass is null || Pass(context) ? next(context) : ValueTask.CompletedTask;
        }
    }

    /// <summary>A publish filter that ends the publish without sending: by throwing, or (a bug) by not calling next.</summary>
    private sealed class EndingFilter(Exception? error) : IMaculaEventFilter
    {
        public ValueTask PublishAsync(EventPublishContext context, Func<EventPublishContext, ValueTask> next) =>
            error is null ? ValueTask.CompletedTask : ValueTask.FromException(error);
    }

    [Fact]
    public async Task Metadata_from_the_publisher_and_its_filters_reaches_the_handler_with_the_event_context()
    {
        var seen = new ConcurrentQueue<(OrderPlaced Order, MaculaEventContext Context, string? Tenant, string? Stamp, byte[]? Blob)>();
        var recorder = new OrderRecorder();
        recorder.OnPlaced = (order, _) =>
        {
            var context = MaculaEventContext.Current!;
            seen.Enqueue((order, context, context.Metadata.GetString("tenant"), context.Metadata.GetString("stamp"), context.Metadata.GetBytes("blob-bin")?.ToArray()));
            return Task.CompletedTask;
        };
        await (await StartNodeAsync("sub")).SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions { Group = "readers" });

        var log = new ConcurrentQueue<string>();
        var publisherNode = await StartNodeAsync("pub", configure: o => o with
        {
            EventFilters = [new RecordingFilter("node", log) { OnPublish = c => c.Metadata.Add("stamp", c.Contract + "/" + c.Event) }],
        });
        var metadata = new MaculaMetadata().Add("tenant", "acme").Add("blob-bin", new byte[] { 0, 1, 254, 255 });
        var publisher = publisherNode.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Metadata = metadata });
        metadata.Add("late", "added after the publisher was made");
        await publisher.PlacedAsync(new OrderPlaced("o1", "pub", 1));
        await publisher.PlacedAsync(new OrderPlaced("o2", "pub", 2));

        await WaitUntilAsync(() => seen.Count == 2, "both events are handled");
        Assert.Equal([1, 2], seen.Select(s => s.Order.Sequence));
        foreach (var (_, context, tenant, stamp, blob) in seen)
        {
            Assert.Equal("test.orders", context.Contract);
            Assert.Equal("Placed", context.Event);
            Assert.Equal(Subject("Placed"), context.Subject);
            Assert.Equal("pub", context.PublisherNodeId);
            Assert.Equal("readers", context.Group);
            Assert.Equal("acme", tenant);
            Assert.Equal("test.orders/Placed", stamp);
            Assert.Equal(new byte[] { 0, 1, 254, 255 }, blob);
            Assert.Null(context.Metadata.GetString("late"));
            Assert.Equal(3, context.Metadata.Count);
        }

        // Each publish filtered its own copy: the publisher's metadata was not changed by the filter.
        Assert.Null(metadata.GetString("stamp"));
        Assert.Equal(["publish:node", "publish:node"], log);
        Assert.Null(MaculaEventContext.Current);
    }

    [Fact]
    public async Task Each_of_several_overlapping_handlers_sees_its_own_event_context_across_awaits()
    {
        const int Events = 40;
        var mismatches = new ConcurrentQueue<string>();
        var recorder = new OrderRecorder
        {
            OnPlaced = async (order, _) =>
            {
                await Task.Delay(5 + (order.Sequence % 3 * 5));
                if (MaculaEventContext.Current?.Metadata.GetString("seq") != order.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    mismatches.Enqueue($"{order.Sequence}: {MaculaEventContext.Current?.Metadata.GetString("seq") ?? "(none)"}");
                }
            },
        };
        await (await StartNodeAsync("sub")).SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions { MaxConcurrency = 4 });
        var sequence = new AsyncLocal<int>();
        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>(new EventPublisherOptions
        {
            Filters = [new RecordingFilter("seq", new ConcurrentQueue<string>()) { OnPublish = c => c.Metadata.Add("seq", sequence.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)) }],
        });
        for (int i = 0; i < Events; i++)
        {
            sequence.Value = i;
            await publisher.PlacedAsync(new OrderPlaced("o" + i, "pub", i));
        }

        await WaitUntilAsync(() => recorder.Placed.Count == Events, "every event is handled");
        Assert.True(recorder.MaxRunning > 1, "the handlers never overlapped, so the test proved nothing");
        Assert.Empty(mismatches);
    }

    [Fact]
    public async Task Event_filters_run_node_first_then_the_publishers_or_the_subscriptions_own()
    {
        var log = new ConcurrentQueue<string>();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new OrderRecorder { OnPlaced = (_, _) => { log.Enqueue("handler"); handled.TrySetResult(); return Task.CompletedTask; } };
        var subscriberNode = await StartNodeAsync("sub", configure: o => o with { EventFilters = [new RecordingFilter("sub-node-1", log), new RecordingFilter("sub-node-2", log)] });
        await subscriberNode.SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions { Filters = [new RecordingFilter("subscription", log)] });
        var publisherNode = await StartNodeAsync("pub", configure: o => o with { EventFilters = [new RecordingFilter("pub-node", log)] });
        var publisher = publisherNode.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Filters = [new RecordingFilter("publisher", log)] });

        await publisher.PlacedAsync(new OrderPlaced("o1", "pub", 1));
        await handled.Task.WaitAsync(Wait);

        Assert.Equal(["publish:pub-node", "publish:publisher", "handle:sub-node-1", "handle:sub-node-2", "handle:subscription", "handler"], log);
    }

    [Fact]
    public async Task A_subscription_filter_that_does_not_call_next_skips_the_handler_and_later_events_still_arrive()
    {
        var reports = new ConcurrentQueue<MaculaEvent>();
        var node = await StartNodeAsync("sub", configure: o => o with { OnEvent = reports.Enqueue });
        var recorder = new OrderRecorder();
        var log = new ConcurrentQueue<string>();
        await node.SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions
        {
            Filters = [new RecordingFilter("tenant", log) { Pass = c => c.Metadata.GetString("tenant") == "acme" }],
        });

        var publisherNode = await StartNodeAsync("pub");
        var acme = publisherNode.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Metadata = new MaculaMetadata().Add("tenant", "acme") });
        var other = publisherNode.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Metadata = new MaculaMetadata().Add("tenant", "other") });
        var plain = publisherNode.CreatePublisher<IOrderEvents>();
        for (int i = 0; i < 9; i++)
        {
            var publisher = (i % 3) switch { 0 => acme, 1 => other, _ => plain };
            await publisher.PlacedAsync(new OrderPlaced("o" + i, "pub", i));
        }

        await WaitUntilAsync(() => log.Count == 9, "the filter has seen all nine events");
        await WaitUntilAsync(() => recorder.Placed.Count == 3, "the three acme events are handled");
        Assert.Equal([0, 3, 6], recorder.Placed.Select(o => o.Sequence));
        Assert.DoesNotContain(reports, e => e.Kind is MaculaEventKind.BadMessage or MaculaEventKind.Error);
    }

    [Fact]
    public async Task A_publish_filter_that_throws_or_skips_next_sends_nothing_and_the_publish_says_so()
    {
        var raw = await RawTransportAsync();
        var arrived = new ConcurrentQueue<TransportMessage>();
        await using var tap = await raw.SubscribeAsync(Subject("Placed"), m => { arrived.Enqueue(m); return ValueTask.CompletedTask; });
        var node = await StartNodeAsync("pub");

        var refused = node.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Filters = [new EndingFilter(new UnauthorizedAccessException("not allowed to publish"))] });
        var error = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => refused.PlacedAsync(new OrderPlaced("o1", "pub", 1)));
        Assert.Equal("not allowed to publish", error.Message);

        var buggy = node.CreatePublisher<IOrderEvents>(new EventPublisherOptions { Filters = [new EndingFilter(null)] });
        var bug = await Assert.ThrowsAsync<InvalidOperationException>(() => buggy.PlacedAsync(new OrderPlaced("o2", "pub", 2)));
        Assert.Contains("without calling next", bug.Message, StringComparison.Ordinal);
        Assert.Contains("test.orders.Placed", bug.Message, StringComparison.Ordinal);

        var tooLarge = node.CreatePublisher<IOrderEvents>(new EventPublisherOptions
        {
            Filters = [new RecordingFilter("bloat", new ConcurrentQueue<string>()) { OnPublish = c => c.Metadata.Add("big", new string('x', 9000)) }],
        });
        var size = await Assert.ThrowsAsync<ArgumentException>(() => tooLarge.PlacedAsync(new OrderPlaced("o3", "pub", 3)));
        Assert.Contains("after the event filters", size.Message, StringComparison.Ordinal);

        // One publisher's events arrive in order: once the good one is here, nothing of the refused ones is on its way.
        await node.CreatePublisher<IOrderEvents>().PlacedAsync(new OrderPlaced("o4", "pub", 4));
        await WaitUntilAsync(() => !arrived.IsEmpty, "the good event arrives");
        await Task.Delay(50);
        Assert.Single(arrived);
    }

    [Fact]
    public async Task A_subscription_filter_that_throws_is_reported_as_a_handler_error_and_the_next_event_is_handled()
    {
        var reports = new ConcurrentQueue<MaculaEvent>();
        var node = await StartNodeAsync("sub", configure: o => o with { OnEvent = reports.Enqueue });
        var good = new OrderRecorder();
        await node.SubscribeAsync<IOrderEvents>(good);
        var refused = new OrderRecorder();
        await node.SubscribeAsync<IOrderEvents>(refused, new EventSubscriptionOptions
        {
            Filters = [new RecordingFilter("deny", new ConcurrentQueue<string>()) { ThrowOnHandle = new UnauthorizedAccessException("denied by the filter") }],
        });

        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        await publisher.PlacedAsync(new OrderPlaced("o1", "pub", 1));
        await publisher.PlacedAsync(new OrderPlaced("o2", "pub", 2));

        await WaitUntilAsync(() => good.Placed.Count == 2 && reports.Count(e => e.Kind == MaculaEventKind.Error) == 2, "both events are handled by one and refused by the other");
        Assert.Empty(refused.Placed);
        Assert.All(reports.Where(e => e.Kind == MaculaEventKind.Error), e => Assert.Equal("denied by the filter", Assert.IsType<UnauthorizedAccessException>(e.Exception).Message));
    }

    [Fact]
    public async Task An_event_with_malformed_metadata_is_dropped_and_reported_and_the_next_is_handled()
    {
        var reports = new ConcurrentQueue<MaculaEvent>();
        var node = await StartNodeAsync("sub", configure: o => o with { OnEvent = reports.Enqueue });
        var recorder = new OrderRecorder();
        await node.SubscribeAsync<IOrderEvents>(recorder);

        var raw = await RawTransportAsync();
        await raw.PublishAsync(Subject("Tick"), new byte[] { 0x91, 0x01 }, new MaculaHeaders { { "Macula-Meta-blob-bin", "not base64!" } });
        await raw.PublishAsync(Subject("Tick"), new byte[] { 0x91, 0x02 }, new MaculaHeaders { { "Macula-Meta-big", new string('x', 9000) } });
        await raw.PublishAsync(Subject("Tick"), new byte[] { 0x91, 0x03 }, new MaculaHeaders { { "Macula-Meta-ok", "fine" } });

        await WaitUntilAsync(() => recorder.Ticks.Count == 1 && reports.Count(e => e.Kind == MaculaEventKind.BadMessage) == 2, "the good event is handled and the two bad ones reported");
        Assert.Equal(3, Assert.Single(recorder.Ticks));
        var bad = reports.Where(e => e.Kind == MaculaEventKind.BadMessage).Select(e => e.Message).ToList();
        Assert.Contains(bad, m => m.Contains("not base64", StringComparison.Ordinal));
        Assert.Contains(bad, m => m.Contains("more than the limit", StringComparison.Ordinal));
    }
}
