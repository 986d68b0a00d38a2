using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Macula.Nats.Tests.Infrastructure;
using Macula.Nats.Tests.Wire;
using Macula.Transport;
using NATS.Client.Core;

namespace Macula.Nats.Tests.Server;

/// <summary>
/// Coalesced calls against a real nats-server (docs/wire-protocol.md, "Coalesced calls"): what goes on the wire,
/// that every call still gets its own reply, and that nothing a batch brings breaks a node.
/// </summary>
[Collection(NatsServerCollection.Name)]
public sealed class CoalescingTests(NatsServerFixture fixture) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _prefix = "coal" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    /// <summary>Flushes a test holds back, so that a batch takes every call made before the test lets it go.</summary>
    private sealed class HeldFlushes
    {
        private readonly ConcurrentQueue<IThreadPoolWorkItem> _held = new();

        public void Hold(IThreadPoolWorkItem flush) => _held.Enqueue(flush);

        public int Count => _held.Count;

        public void RunAll()
        {
            while (_held.TryDequeue(out var flush))
            {
                flush.Execute();
            }
        }
    }

    private async Task<NatsTransport> ConnectAsync(bool coalescing = false, Action<NatsEvent>? onEvent = null)
    {
        var transport = new NatsTransport(TestTimes.Options(fixture.Url) with { Coalescing = coalescing, OnEvent = onEvent, RequestTimeout = TimeSpan.FromSeconds(30) });
        _owned.Add(transport);
        await transport.ConnectAsync();
        return transport;
    }

    /// <summary>A plain NATS.Client.Core connection that sees the messages as the server carries them.</summary>
    private async Task<NatsConnection> TapAsync()
    {
        var connection = new NatsConnection(NatsOpts.Default with { Url = fixture.Url });
        _owned.Add(connection);
        await connection.ConnectAsync();
        return connection;
    }

    private static async Task<ConcurrentQueue<NatsMsg<byte[]>>> RecordAsync(NatsConnection tap, string subject, List<IAsyncDisposable> owned)
    {
        var seen = new ConcurrentQueue<NatsMsg<byte[]>>();
        var sub = await tap.SubscribeCoreAsync<byte[]>(subject);
        owned.Add(sub);
        _ = Task.Run(async () =>
        {
            await foreach (var msg in sub.Msgs.ReadAllAsync())
            {
                seen.Enqueue(msg);
            }
        });
        await tap.PingAsync();
        return seen;
    }

    private static byte[] Number(int n) => Encoding.UTF8.GetBytes(n.ToString(CultureInfo.InvariantCulture));

    private static int Number(ReadOnlyMemory<byte> payload) => int.Parse(Encoding.UTF8.GetString(payload.Span), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Requests_made_while_others_are_in_flight_share_one_message_and_each_gets_its_own_reply()
    {
        string subject = _prefix + ".double";
        var responder = await ConnectAsync();
        var responderHeld = new HeldFlushes();
        responder.ScheduleFlush = responderHeld.Hold;
        var headersSeen = new ConcurrentQueue<string?>();
        // Nothing is answered until every request is made, so the first one is still in flight when the others come.
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _owned.Add(await ((IMaculaTransport)responder).SubscribeAsync(subject, async m =>
        {
            await answer.Task;
            headersSeen.Enqueue(m.Headers?["x-n"]);
            await responder.PublishAsync(m.ReplyTo!, Number(Number(m.Payload) * 2), new MaculaHeaders { { "x-doubled", "yes" } });
        }));

        var tap = await TapAsync();
        var requests = await RecordAsync(tap, subject, _owned);
        var replies = await RecordAsync(tap, "_INBOX.>", _owned);

        var requester = await ConnectAsync(coalescing: true);
        var held = new HeldFlushes();
        requester.ScheduleFlush = held.Hold;

        // The first request is alone in flight, so it goes out on its own; the next ones find others in flight: a full
        // batch goes out at once, the rest waits for the flush the test holds.
        int full = Coalescing.CoalescingLimits.MaxCalls, total = 1 + full + 4;
        var calls = new List<Task<TransportMessage>>();
        for (int i = 1; i <= total; i++)
        {
            calls.Add(requester.RequestAsync(subject, Number(i), new MaculaHeaders { { "x-n", i.ToString(CultureInfo.InvariantCulture) } }).AsTask());
        }

        Assert.Equal(1, held.Count);
        await TestTimes.WaitUntilAsync(() => requests.Count == 2, "the lone request and the full batch are on the wire");
        held.RunAll();
        answer.SetResult();
        var answered = await Task.WhenAll(calls).WaitAsync(TestTimes.Wait);

        Assert.Equal(Enumerable.Range(1, total).Select(i => i * 2), answered.Select(r => Number(r.Payload)));
        Assert.All(answered, r => Assert.Equal("yes", r.Headers?["x-doubled"]));
        Assert.Equal(Enumerable.Range(1, total).Select(i => i.ToString(CultureInfo.InvariantCulture)), headersSeen);

        // On the wire: one plain request, a full batch, then a batch of the last 4.
        await TestTimes.WaitUntilAsync(() => requests.Count == 3, "the tap has the three request messages");
        var onWire = requests.ToArray();
        Assert.False(onWire[0].Headers?.ContainsKey("Macula-Batch") == true);
        Assert.Equal(full.ToString(CultureInfo.InvariantCulture), onWire[1].Headers!["Macula-Batch"].ToString());
        Assert.Equal("4", onWire[2].Headers!["Macula-Batch"].ToString());

        // The provider answered each batch's calls in one batch of replies (the last reply of each sent it), the lone call alone.
        await TestTimes.WaitUntilAsync(() => replies.Count == 3, "the tap has the three reply messages");
        var batches = replies.Where(r => r.Headers?.ContainsKey("Macula-Batch") == true).ToList();
        Assert.Equal([full.ToString(CultureInfo.InvariantCulture), "4"], batches.Select(r => r.Headers!["Macula-Batch"].ToString()));
        Assert.All(batches, r => Assert.EndsWith(".batch", r.Subject, StringComparison.Ordinal));
        Assert.Single(replies, r => r.Headers?.ContainsKey("Macula-Batch") != true);
    }

    [Fact]
    public async Task Requests_from_many_threads_at_once_all_get_their_reply_and_no_batch_holds_more_than_the_limit()
    {
        // A full batch is taken under the lock its last frame was written under: a frame that comes between the
        // decision and the send starts the next batch (it once joined the full one, 17 frames, and the send failed).
        string subject = _prefix + ".many";
        var responder = await ConnectAsync();
        _owned.Add(await ((IMaculaTransport)responder).SubscribeAsync(subject, m => responder.PublishAsync(m.ReplyTo!, m.Payload)));
        var tap = await TapAsync();
        var requests = await RecordAsync(tap, subject, _owned);
        var requester = await ConnectAsync(coalescing: true);

        const int Workers = 64, Each = 40;
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < Each; i++)
            {
                int n = (w * Each) + i;
                var reply = await requester.RequestAsync(subject, Number(n));
                Assert.Equal(n, Number(reply.Payload));
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TestTimes.Wait);

        // A message without Macula-Batch carries one call.
        static int CallsIn(NatsMsg<byte[]> message) => message.Headers?.ContainsKey("Macula-Batch") == true ? int.Parse(message.Headers["Macula-Batch"].ToString(), CultureInfo.InvariantCulture) : 1;

        await tap.PingAsync();
        Assert.All(requests.Select(CallsIn).ToList(), c => Assert.InRange(c, 1, Coalescing.CoalescingLimits.MaxCalls));
        await TestTimes.WaitUntilAsync(() => requests.Sum(CallsIn) == Workers * Each, "the tap has every call");
    }

    [Fact]
    public async Task A_batch_to_a_subject_nobody_subscribes_to_fails_every_call_in_it_with_no_responders()
    {
        string silent = _prefix + ".silent";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = await ConnectAsync();
        _owned.Add(await ((IMaculaTransport)responder).SubscribeAsync(silent, async m =>
        {
            await gate.Task;
            await responder.PublishAsync(m.ReplyTo!, m.Payload);
        }));

        var requester = await ConnectAsync(coalescing: true);
        var held = new HeldFlushes();
        requester.ScheduleFlush = held.Hold;
        var waiting = requester.RequestAsync(silent, Number(0)).AsTask();
        var nobody = Enumerable.Range(1, 5).Select(i => requester.RequestAsync(_prefix + ".nobody", Number(i)).AsTask()).ToList();
        held.RunAll();

        foreach (var call in nobody)
        {
            var error = await Assert.ThrowsAsync<MaculaTransportException>(() => call.WaitAsync(TestTimes.Wait));
            Assert.Equal(TransportErrorKind.NoResponders, error.Kind);
            Assert.Contains(_prefix + ".nobody", error.Message, StringComparison.Ordinal);
        }

        gate.SetResult();
        Assert.Equal(0, Number((await waiting.WaitAsync(TestTimes.Wait)).Payload));
    }

    [Fact]
    public async Task A_malformed_batch_is_dropped_and_reported_and_the_subscription_goes_on()
    {
        string subject = _prefix + ".victim";
        var events = new EventLog();
        var responder = await ConnectAsync(onEvent: events.Sink);
        var handled = new ConcurrentQueue<int>();
        _owned.Add(await ((IMaculaTransport)responder).SubscribeAsync(subject, async m =>
        {
            handled.Enqueue(Number(m.Payload));
            await responder.PublishAsync(m.ReplyTo!, m.Payload);
        }));

        var tap = await TapAsync();
        byte[] oneGoodFrame = [0x93, 0xa5, .. "a.b.c"u8, 0xc0, 0xc4, 0x01, (byte)'7'];
        (string Count, byte[] Body)[] bad =
        [
            ("3", [0x01, 0x02, 0x03]),                       // not frames
            ("abc", oneGoodFrame),                            // not a count
            ("2", oneGoodFrame),                              // fewer frames than it says
            ("1", [.. oneGoodFrame, 0x00]),                   // bytes after the frames
            ("1", [0x93, 0xa3, .. "a.*"u8, 0xc0, 0xc4, 0x00]), // a wildcard reply subject
            ("5000", oneGoodFrame),                           // more frames than any batch may have
        ];
        foreach (var (count, body) in bad)
        {
            await tap.PublishAsync(subject, body, headers: new NatsHeaders { ["Macula-Batch"] = count }, replyTo: "_INBOX.attacker.b1");
        }

        var requester = await ConnectAsync();
        Assert.Equal(42, Number((await requester.RequestAsync(subject, Number(42))).Payload));
        await TestTimes.WaitUntilAsync(() => events.Count(NatsEventKind.BadBatch) == bad.Length, "every bad batch is reported");
        Assert.Equal([42], handled);
        Assert.All(events.All.Where(e => e.Kind == NatsEventKind.BadBatch), e => Assert.Contains(subject, e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Typed_calls_and_a_stream_over_coalescing_transports_all_get_their_results()
    {
        string realm = "coal" + Guid.NewGuid().ToString("N")[..6];
        var providerNode = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "p", Transport = new NatsTransport(TestTimes.Options(fixture.Url) with { Coalescing = true }) });
        _owned.Add(providerNode);
        _owned.Add(await providerNode.ProvideAsync<ICalc>(new Calc("p")));
        _owned.Add(await providerNode.ProvideAsync<Streaming.IFeed>(new Streaming.Feed()));
        var clientNode = await MaculaNode.StartAsync(new MaculaNodeOptions { Realm = realm, NodeId = "c", Transport = new NatsTransport(TestTimes.Options(fixture.Url) with { Coalescing = true }) });
        _owned.Add(clientNode);
        var calc = clientNode.CreateClient<ICalc>();
        var feed = clientNode.CreateClient<Streaming.IFeed>();
        Assert.Equal(3, await calc.AddAsync(1, 2));

        async Task<List<int>> ReadAsync()
        {
            var items = new List<int>();
            await foreach (int item in feed.CountAsync(300))
            {
                items.Add(item);
            }

            return items;
        }

        var stream = ReadAsync();
        // 100 at once: below the provider's load shedding (64 running, 64 queued), which is not what this checks.
        var sums = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => calc.AddAsync(i, i)));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => 2 * i), sums);
        Assert.Equal(Enumerable.Range(0, 300), await stream.WaitAsync(TestTimes.Wait));
    }
}
