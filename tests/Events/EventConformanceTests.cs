using System.Collections.Concurrent;
using System.Diagnostics;
using Macula.Transport;

namespace Macula.Testing.Events;

/// <summary>
/// What typed events do on every transport: fan-out and queue groups with exact counts and per-publisher order, realm
/// and contract isolation, handler errors, bad payloads, disposal, concurrency, the wire headers and trace continuity.
/// A transport's test project links <c>tests/Events/*.cs</c> and derives one class that says how to make a transport
/// on the bus the tests share.
/// </summary>
public abstract partial class EventConformanceTests : IAsyncLifetime
{
    /// <summary>How long a test waits for something that should happen at once; generous for a loaded machine.</summary>
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>This test's realm: nothing another test publishes reaches it.</summary>
    protected string Realm { get; } = "ev" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A new transport on the bus the tests of the class share, not yet connected.</summary>
    protected abstract IMaculaTransport CreateTransport();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    protected async Task<MaculaNode> StartNodeAsync(string nodeId, string? realm = null, Func<MaculaNodeOptions, MaculaNodeOptions>? configure = null)
    {
        var options = new MaculaNodeOptions { Realm = realm ?? Realm, NodeId = nodeId, Transport = CreateTransport() };
        var node = await MaculaNode.StartAsync(configure is null ? options : configure(options));
        _owned.Add(node);
        return node;
    }

    protected async Task<IMaculaTransport> RawTransportAsync()
    {
        var transport = CreateTransport();
        await transport.ConnectAsync();
        _owned.Add(transport);
        return transport;
    }

    protected string Subject(string eventName, string contract = "test.orders") => $"macula.{Realm}.events.{contract}.{eventName}";

    protected static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task Every_subscriber_gets_every_event_of_every_publisher_in_publish_order()
    {
        const int Publishers = 3, Subscribers = 3, PerPublisher = 200;
        var recorders = new List<OrderRecorder>();
        for (int s = 0; s < Subscribers; s++)
        {
            var node = await StartNodeAsync("sub" + s);
            var recorder = new OrderRecorder();
            await node.SubscribeAsync<IOrderEvents>(recorder);
            recorders.Add(recorder);
        }

        var publishers = new List<IOrderEvents>();
        for (int p = 0; p < Publishers; p++)
        {
            publishers.Add((await StartNodeAsync("pub" + p)).CreatePublisher<IOrderEvents>());
        }

        await Task.WhenAll(publishers.Select(async (publisher, p) =>
        {
            for (int i = 0; i < PerPublisher; i++)
            {
                await publisher.PlacedAsync(new OrderPlaced($"o{p}-{i}", "pub" + p, i));
            }
        }));

        await WaitUntilAsync(() => recorders.All(r => r.Placed.Count >= Publishers * PerPublisher), "every subscriber has every event");
        foreach (var recorder in recorders)
        {
            var placed = recorder.Placed.ToArray();
            Assert.Equal(Publishers * PerPublisher, placed.Length);
            for (int p = 0; p < Publishers; p++)
            {
                Assert.Equal(Enumerable.Range(0, PerPublisher), placed.Where(o => o.Publisher == "pub" + p).Select(o => o.Sequence));
            }

            // Ordered by default: one handler at a time.
            Assert.Equal(1, recorder.MaxRunning);
        }

        await Task.Delay(50);
        Assert.All(recorders, r => Assert.Equal(Publishers * PerPublisher, r.Placed.Count));
    }

    [Fact]
    public async Task A_group_gets_each_event_once_and_every_group_and_plain_subscriber_gets_its_own_copy()
    {
        const int Events = 300;
        var billing = new List<OrderRecorder>();
        var audit = new List<OrderRecorder>();
        for (int i = 0; i < 3; i++)
        {
            var recorder = new OrderRecorder();
            await (await StartNodeAsync("billing" + i)).SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions { Group = "billing" });
            billing.Add(recorder);
        }

        for (int i = 0; i < 2; i++)
        {
            var recorder = new OrderRecorder();
            await (await StartNodeAsync("audit" + i)).SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions { Group = "audit" });
            audit.Add(recorder);
        }

        var plain = new OrderRecorder();
        await (await StartNodeAsync("plain")).SubscribeAsync<IOrderEvents>(plain);

        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        for (int i = 0; i < Events; i++)
        {
            await publisher.PlacedAsync(new OrderPlaced("o" + i, "pub", i));
        }

        await WaitUntilAsync(() => billing.Sum(r => r.Placed.Count) >= Events && audit.Sum(r => r.Placed.Count) >= Events && plain.Placed.Count >= Events, "every group and the plain subscriber have every event");
        await Task.Delay(50);
        foreach (var group in new[] { billing, audit })
        {
            var ids = group.SelectMany(r => r.Placed).Select(o => o.Sequence).ToList();
            Assert.Equal(Events, ids.Count);
            Assert.Equal(Enumerable.Range(0, Events), ids.Order());

            // What one member gets, it gets in publish order.
            Assert.All(group, r => Assert.Equal(r.Placed.Select(o => o.Sequence).Order(), r.Placed.Select(o => o.Sequence)));
        }

        Assert.Equal(Enumerable.Range(0, Events), plain.Placed.Select(o => o.Sequence));
    }

    [Fact]
    public async Task Another_realm_and_a_contract_whose_name_extends_this_one_see_nothing()
    {
        var here = new OrderRecorder();
        await (await StartNodeAsync("here")).SubscribeAsync<IOrderEvents>(here);
        string otherRealm = Realm + "x";
        var elsewhere = new OrderRecorder();
        var otherNode = await StartNodeAsync("elsewhere", otherRealm);
        await otherNode.SubscribeAsync<IOrderEvents>(elsewhere);
        var archive = new ArchiveRecorder();
        await (await StartNodeAsync("archive")).SubscribeAsync<IArchiveEvents>(archive);

        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        for (int i = 0; i < 20; i++)
        {
            await publisher.PlacedAsync(new OrderPlaced("o" + i, "pub", i));
        }

        // Every event was routed (here has them all) before the other realm's and the archive's own events are published.
        await WaitUntilAsync(() => here.Placed.Count == 20, "this realm's subscriber has every event");
        await otherNode.CreatePublisher<IOrderEvents>().PlacedAsync(new OrderPlaced("other", "elsewhere", 0));
        await (await StartNodeAsync("archiver")).CreatePublisher<IArchiveEvents>().PlacedAsync(new OrderPlaced("archived", "archiver", 0));
        await WaitUntilAsync(() => !elsewhere.Placed.IsEmpty && !archive.Placed.IsEmpty, "the other realm's and the archive's own events arrive");

        Assert.Equal("other", Assert.Single(elsewhere.Placed).OrderId);
        Assert.Equal("archived", Assert.Single(archive.Placed).OrderId);
        Assert.Equal(20, here.Placed.Count);
    }

    [Fact]
    public async Task A_handler_that_throws_is_reported_and_the_next_events_are_still_delivered()
    {
        var reports = new ConcurrentQueue<MaculaEvent>();
        var node = await StartNodeAsync("sub", configure: o => o with { OnEvent = reports.Enqueue });
        var recorder = new OrderRecorder { OnPlaced = (order, _) => order.Sequence == 3 ? throw new InvalidOperationException("order 3 is cursed") : Task.CompletedTask };
        await node.SubscribeAsync<IOrderEvents>(recorder);

        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        for (int i = 0; i < 10; i++)
        {
            await publisher.PlacedAsync(new OrderPlaced("o" + i, "pub", i));
        }

        await WaitUntilAsync(() => recorder.Placed.Count == 9, "the nine good events are handled");
        Assert.Equal([0, 1, 2, 4, 5, 6, 7, 8, 9], recorder.Placed.Select(o => o.Sequence));
        var error = Assert.Single(reports, e => e.Kind == MaculaEventKind.Error);
        Assert.Contains("test.orders.Placed", error.Message, StringComparison.Ordinal);
        Assert.Equal("order 3 is cursed", Assert.IsType<InvalidOperationException>(error.Exception).Message);
    }

    [Fact]
    public async Task Bad_payloads_are_dropped_and_reported_and_good_events_still_arrive()
    {
        var reports = new ConcurrentQueue<MaculaEvent>();
        var node = await StartNodeAsync("sub", configure: o => o with { OnEvent = reports.Enqueue, MaxObjectGraphDepth = 16 });
        var recorder = new OrderRecorder();
        await node.SubscribeAsync<IOrderEvents>(recorder);

        var raw = await RawTransportAsync();
        // [{"Child": {"Child": ... nil}}], 40 levels of Branch: deeper than the subscriber's limit of 16.
        byte[] level = [0x81, 0xa5, .. "Child"u8];
        byte[] deep = [0x91, .. Enumerable.Range(0, 40).SelectMany(_ => level), 0xc0];
        byte[] shallow = [0x91, .. Enumerable.Range(0, 3).SelectMany(_ => level), 0xc0];
        var badCompression = new MaculaHeaders { { "Macula-Compression", "zstd" } };
        var badVersion = new MaculaHeaders { { "Macula-Event-Version", "2" } };
        await raw.PublishAsync(Subject("Placed"), new byte[] { 0xc1 });                         // not MessagePack
        await raw.PublishAsync(Subject("Placed"), new byte[] { 0x91, 0xa3, 0x61, 0x62 });       // ends inside a string
        await raw.PublishAsync(Subject("Placed"), new byte[] { 0x91, 0x2a });                   // an int where an OrderPlaced goes
        await raw.PublishAsync(Subject("Grow"), deep);                                           // nested deeper than the limit
        await raw.PublishAsync(Subject("Grow"), shallow);                                        // nested within it: fine
        await raw.PublishAsync(Subject("Tick"), new byte[] { 0x91, 0x01 }, badCompression);     // a compression nobody reads
        await raw.PublishAsync(Subject("Tick"), new byte[] { 0x91, 0x01 }, badVersion);         // another wire version
        await raw.PublishAsync(Subject("NoSuchEvent"), new byte[] { 0x91, 0x01 });              // a newer contract's event: dropped quietly
        await raw.PublishAsync(Subject("Tick"), new byte[] { 0x91, 0x07 });                     // a good one, raw

        await WaitUntilAsync(() => recorder.Ticks.Count == 1 && recorder.Branches.Count == 1, "the good raw events are handled");
        await WaitUntilAsync(() => reports.Count(e => e.Kind == MaculaEventKind.BadMessage) == 6, "six bad messages are reported");
        Assert.Equal(7, Assert.Single(recorder.Ticks));
        Assert.Empty(recorder.Placed);
        Assert.Equal(3, Assert.Single(recorder.Branches).Depth);
        var bad = reports.Where(e => e.Kind == MaculaEventKind.BadMessage).Select(e => e.Message).ToList();
        Assert.Contains(bad, m => m.Contains("nested too deep", StringComparison.Ordinal));
        Assert.Contains(bad, m => m.Contains("'zstd'", StringComparison.Ordinal));
        Assert.Contains(bad, m => m.Contains("version '2'", StringComparison.Ordinal));
        Assert.DoesNotContain(reports, e => e.Kind == MaculaEventKind.Error);

        await (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>().PlacedAsync(new OrderPlaced("good", "pub", 0));
        await WaitUntilAsync(() => recorder.Placed.Count == 1, "a published event after the bad ones is handled");
    }

    [Fact]
    public async Task Disposing_waits_for_the_running_handler_and_stops_delivery()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken handlerToken = default;
        var recorder = new OrderRecorder
        {
            OnPlaced = async (_, token) =>
            {
                handlerToken = token;
                started.TrySetResult();
                await gate.Task;
            },
        };
        var node = await StartNodeAsync("sub");
        var subscription = await node.SubscribeAsync<IOrderEvents>(recorder);
        var witness = new OrderRecorder();
        await (await StartNodeAsync("witness")).SubscribeAsync<IOrderEvents>(witness);

        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        for (int i = 0; i < 5; i++)
        {
            await publisher.PlacedAsync(new OrderPlaced("o" + i, "pub", i));
        }

        await started.Task.WaitAsync(Wait);
        await WaitUntilAsync(() => witness.Placed.Count == 5, "the witness has the five events");
        var disposing = subscription.DisposeAsync().AsTask();

        // The running handler is told to stop, and waited for.
        await WaitUntilAsync(() => handlerToken.IsCancellationRequested, "the handler's token is cancelled");
        await Task.Delay(100);
        Assert.False(disposing.IsCompleted, "disposal returned while the handler was still running");
        gate.SetResult();
        await disposing.WaitAsync(Wait);

        // The running handler finished; the four events behind it were not started.
        Assert.Equal(0, Assert.Single(recorder.Placed).Sequence);
        await publisher.PlacedAsync(new OrderPlaced("after", "pub", 5));
        await WaitUntilAsync(() => witness.Placed.Count == 6, "the witness has the event published after disposal");
        Assert.Single(recorder.Placed);
    }

    [Fact]
    public async Task A_handler_may_dispose_its_own_subscription()
    {
        var node = await StartNodeAsync("sub");
        IAsyncDisposable? subscription = null;
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new OrderRecorder
        {
            OnPlaced = async (_, _) =>
            {
                await subscription!.DisposeAsync();
                disposed.TrySetResult();
            },
        };
        subscription = await node.SubscribeAsync<IOrderEvents>(recorder);
        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        await publisher.PlacedAsync(new OrderPlaced("o0", "pub", 0));
        await disposed.Task.WaitAsync(Wait);
        await WaitUntilAsync(() => recorder.Placed.Count == 1, "the handler that disposed finishes");
    }

    [Fact]
    public async Task MaxConcurrency_lets_that_many_handlers_overlap_and_no_more()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new OrderRecorder { OnPlaced = (_, _) => gate.Task };
        await (await StartNodeAsync("sub")).SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions { MaxConcurrency = 4 });
        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        for (int i = 0; i < 12; i++)
        {
            await publisher.PlacedAsync(new OrderPlaced("o" + i, "pub", i));
        }

        await WaitUntilAsync(() => recorder.Running == 4, "four handlers run at once");
        await Task.Delay(50);
        Assert.Equal(4, recorder.Running);
        gate.SetResult();
        await WaitUntilAsync(() => recorder.Placed.Count == 12, "all twelve are handled");
        Assert.Equal(4, recorder.MaxRunning);
        Assert.Equal(Enumerable.Range(0, 12), recorder.Placed.Select(o => o.Sequence).Order());
    }

    [Fact]
    public async Task A_subscription_to_some_events_gets_only_those()
    {
        var node = await StartNodeAsync("sub");
        var recorder = new OrderRecorder();
        await node.SubscribeAsync<IOrderEvents>(recorder, new EventSubscriptionOptions { Events = ["Cancelled", "Tick"] });
        var ticks = new OrderRecorder();
        await node.SubscribeAsync<IOrderEvents>(ticks, new EventSubscriptionOptions { Events = ["Tick", "Tick"] });
        var all = new OrderRecorder();
        await node.SubscribeAsync<IOrderEvents>(all);
        await Assert.ThrowsAsync<ArgumentException>(() => node.SubscribeAsync<IOrderEvents>(new OrderRecorder(), new EventSubscriptionOptions { Events = ["PlacedAsync"] }));

        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        await publisher.PlacedAsync(new OrderPlaced("o1", "pub", 0));
        await publisher.CancelledAsync("o1", "changed my mind");
        await publisher.TickAsync(1);
        await publisher.PlacedAsync(new OrderPlaced("o2", "pub", 1));
        await publisher.CancelledAsync("o2", "again");
        await publisher.TickAsync(2);

        await WaitUntilAsync(() => all.Count == 6, "the full subscription has all six");
        await WaitUntilAsync(() => recorder.Count == 4 && ticks.Count == 2, "the partial ones have theirs");
        Assert.Equal(["Placed:o1", "Cancelled:o1", "Tick:1", "Placed:o2", "Cancelled:o2", "Tick:2"], all.Log);

        // Two chosen events stay one stream, in publish order; one chosen event is just that event.
        Assert.Equal(["Cancelled:o1", "Tick:1", "Cancelled:o2", "Tick:2"], recorder.Log);
        Assert.Equal(("o1", "changed my mind"), recorder.Cancelled.First());
        Assert.Equal(["Tick:1", "Tick:2"], ticks.Log);
    }

    [Fact]
    public async Task An_event_carries_version_publisher_and_compression_headers_and_survives_compression()
    {
        var raw = await RawTransportAsync();
        var seen = new ConcurrentQueue<TransportMessage>();
        await raw.SubscribeAsync($"macula.{Realm}.events.test.orders.*", m => { seen.Enqueue(m); return default; });
        var recorder = new OrderRecorder();
        await (await StartNodeAsync("sub")).SubscribeAsync<IOrderEvents>(recorder);

        var publisher = (await StartNodeAsync("pub", configure: o => o with { Compression = CompressionOptions.Lz4 })).CreatePublisher<IOrderEvents>();
        string note = string.Concat(Enumerable.Repeat("compressible ", 500));
        await publisher.PlacedAsync(new OrderPlaced("big", "pub", 0, note));
        await publisher.TickAsync(5);

        await WaitUntilAsync(() => seen.Count == 2 && recorder.Count == 2, "both events arrive");
        var messages = seen.ToArray();
        Assert.Equal(Subject("Placed"), messages[0].Subject);
        Assert.Equal("1", messages[0].Headers!["Macula-Event-Version"]);
        Assert.Equal("pub", messages[0].Headers!["Macula-Publisher"]);
        Assert.Equal("lz4", messages[0].Headers!["Macula-Compression"]);
        Assert.True(messages[0].Payload.Length < note.Length / 4, $"the compressed body is {messages[0].Payload.Length} bytes");
        Assert.Equal(note, Assert.Single(recorder.Placed).Note);

        // Small bodies go plain: [5].
        Assert.Equal(Subject("Tick"), messages[1].Subject);
        Assert.Null(messages[1].Headers!["Macula-Compression"]);
        Assert.Equal(new byte[] { 0x91, 0x05 }, messages[1].Payload.ToArray());
    }

    [Fact]
    public async Task Publishing_with_nobody_subscribed_completes()
    {
        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        await publisher.PlacedAsync(new OrderPlaced("o", "pub", 0)).WaitAsync(Wait);
        await publisher.TickAsync(1).AsTask().WaitAsync(Wait);
    }

    [Fact]
    public async Task The_receive_span_continues_the_publishers_trace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MaculaDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var recorder = new OrderRecorder();
        await (await StartNodeAsync("sub")).SubscribeAsync<IOrderEvents>(recorder);
        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();

        using var test = new ActivitySource("Macula.Tests.Events");
        using var testListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == test.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(testListener);
        ActivityTraceId traceId;
        using (var root = test.StartActivity("order flow"))
        {
            traceId = root!.TraceId;
            await publisher.PlacedAsync(new OrderPlaced("traced", "pub", 0));
        }

        await WaitUntilAsync(() => recorder.Placed.Count == 1, "the event is handled");
        await WaitUntilAsync(() => stopped.Any(a => a.TraceId == traceId && a.Kind == ActivityKind.Consumer), "the receive span ends");
        var publish = Assert.Single(stopped, a => a.TraceId == traceId && a.Kind == ActivityKind.Producer);
        var receive = Assert.Single(stopped, a => a.TraceId == traceId && a.Kind == ActivityKind.Consumer);
        Assert.Equal("publish test.orders/Placed", publish.DisplayName);
        Assert.Equal("receive test.orders/Placed", receive.DisplayName);
        Assert.Equal(publish.SpanId, receive.ParentSpanId);
        Assert.Equal(Subject("Placed"), receive.GetTagItem("messaging.destination.name"));
        Assert.Equal("pub", receive.GetTagItem("macula.publisher"));

        // The handler runs inside the receive span.
        Assert.Equal(receive.SpanId, recorder.LastActivity!.SpanId);
    }

    [Fact]
    public async Task Stopping_the_node_ends_its_subscriptions_after_the_running_handler()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new OrderRecorder
        {
            OnPlaced = async (_, _) =>
            {
                started.TrySetResult();
                await gate.Task;
            },
        };
        var node = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = Realm, NodeId = "sub", Transport = CreateTransport() });
        await node.SubscribeAsync<IOrderEvents>(recorder);
        var publisher = (await StartNodeAsync("pub")).CreatePublisher<IOrderEvents>();
        await publisher.PlacedAsync(new OrderPlaced("o0", "pub", 0));
        await publisher.PlacedAsync(new OrderPlaced("o1", "pub", 1));
        await started.Task.WaitAsync(Wait);

        var stopping = node.DisposeAsync().AsTask();
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted, "the node stopped while a handler was still running");
        gate.SetResult();
        await stopping.WaitAsync(Wait);
        Assert.Equal(0, Assert.Single(recorder.Placed).Sequence);
        Assert.Throws<ObjectDisposedException>(() => node.CreatePublisher<IOrderEvents>());
    }
}
