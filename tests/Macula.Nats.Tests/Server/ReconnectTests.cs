using System.Text;
using System.Threading.Channels;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Server;

/// <summary>
/// Each test runs its own nats-server, since it kills it. A request in flight when the server dies is in the
/// conformance suite (<see cref="NatsTransportConformanceTests"/>).
/// </summary>
public sealed class ReconnectTests
{
    [Fact]
    public async Task After_the_server_restarts_on_the_same_port_subscriptions_work_again_and_a_publish_made_while_down_goes_out_once_it_is_back()
    {
        await using var server = await NatsServerProcess.StartNewAsync();
        var events = new EventLog();
        await using var subscriber = new NatsTransport(TestTimes.Options(server.Url) with { OnEvent = events.Sink });
        await using var publisher = new NatsTransport(TestTimes.Options(server.Url) with { DisconnectedWait = TimeSpan.FromSeconds(20) });
        await using var impatient = new NatsTransport(TestTimes.Options(server.Url) with { DisconnectedWait = TimeSpan.FromMilliseconds(300) });
        await subscriber.ConnectAsync();
        await publisher.ConnectAsync();
        await impatient.ConnectAsync();
        var got = Channel.CreateUnbounded<string>();
        await using var sub = await ((IMaculaTransport)subscriber).SubscribeAsync("events.>", m => got.Writer.WriteAsync(Encoding.UTF8.GetString(m.Payload.Span)));
        await publisher.PublishAsync("events.a", "before"u8.ToArray());
        Assert.Equal("before", await got.Reader.ReadAsync().AsTask().WaitAsync(TestTimes.Wait));

        server.Kill();
        await events.WaitForAsync(NatsEventKind.Disconnected);
        await TestTimes.WaitUntilAsync(() => !publisher.IsConnected && !impatient.IsConnected, "the publishers noticed the server is gone");

        // While disconnected, a publish waits for the connection up to DisconnectedWait; past it, it fails clearly
        // and was never sent.
        var full = await Assert.ThrowsAsync<MaculaTransportException>(async () => await impatient.PublishAsync("events.d", new byte[10]));
        Assert.Equal(TransportErrorKind.NotSent, full.Kind);
        Assert.True(full.NotDelivered);
        Assert.Contains("DisconnectedWait", full.Message);
        Assert.Contains("300 ms", full.Message);

        var waiting = publisher.PublishAsync("events.c", "made while down"u8.ToArray()).AsTask();
        Assert.False(waiting.IsCompleted);
        await server.StartAsync();
        await events.WaitForAsync(NatsEventKind.Reconnected);
        await waiting.WaitAsync(TestTimes.Wait);

        // The publish made while down went out after the reconnect; the restored subscription may have come back
        // after it, so publish once more after the subscriber is back before judging delivery.
        await subscriber.FlushAsync(TestTimes.Wait);
        await publisher.PublishAsync("events.e", "after"u8.ToArray());
        var seen = new List<string>();
        while (!seen.Contains("after"))
        {
            seen.Add(await got.Reader.ReadAsync().AsTask().WaitAsync(TestTimes.Wait));
        }

        Assert.Equal(server.Url, subscriber.ConnectedServer);
        Assert.DoesNotContain(seen, s => s.Length == 10);
    }

    [Fact]
    public async Task A_subscribe_and_publishes_made_while_disconnected_go_out_once_the_connection_is_back()
    {
        // One transport both subscribes and publishes, in that order, while the server is down: once it is back the
        // subscription is in place before the publishes, so every one must come back to it, in order.
        await using var server = await NatsServerProcess.StartNewAsync();
        await using var transport = new NatsTransport(TestTimes.Options(server.Url) with { DisconnectedWait = TimeSpan.FromSeconds(30) });
        await transport.ConnectAsync();
        server.Kill();
        await TestTimes.WaitUntilAsync(() => !transport.IsConnected, "the client noticed the server is gone");

        var got = Channel.CreateUnbounded<string>();
        var work = Task.Run(async () =>
        {
            var sub = await transport.SubscribeAsync("queued", m => got.Writer.WriteAsync(Encoding.UTF8.GetString(m.Payload.Span)));
            for (int i = 0; i < 5; i++)
            {
                await transport.PublishAsync("queued", Encoding.UTF8.GetBytes($"m{i}"));
            }

            return sub;
        });

        await Task.Delay(200);
        Assert.False(work.IsCompleted);
        await server.StartAsync();
        await using var subscription = await work.WaitAsync(TestTimes.Wait);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal($"m{i}", await got.Reader.ReadAsync().AsTask().WaitAsync(TestTimes.Wait));
        }

        await transport.FlushAsync(TestTimes.Wait);
        Assert.False(got.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_stalled_server_is_detected_by_keepalive_and_a_waiting_request_fails_before_its_timeout()
    {
        await using var server = await NatsServerProcess.StartNewAsync();
        var events = new EventLog();
        await using var responder = new NatsTransport(TestTimes.Options(server.Url));
        await using var requester = new NatsTransport(TestTimes.Options(server.Url) with { OnEvent = events.Sink, PingInterval = TimeSpan.FromMilliseconds(300), MaxPingsOut = 2 });
        await responder.ConnectAsync();
        await requester.ConnectAsync();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sub = await responder.SubscribeAsync("stalls", _ =>
        {
            received.TrySetResult();
            return ValueTask.CompletedTask;
        });

        var request = ((IMaculaTransport)requester).RequestAsync("stalls", "hi"u8.ToArray(), null, TimeSpan.FromMinutes(5)).AsTask();
        await received.Task.WaitAsync(TestTimes.Wait);

        // Stopped, not killed: the socket stays open, the server just never answers a PING again.
        server.Pause();
        try
        {
            var e = await Assert.ThrowsAsync<MaculaTransportException>(() => request.WaitAsync(TestTimes.Wait));
            Assert.Equal(TransportErrorKind.ConnectionLost, e.Kind);
            await events.WaitForAsync(NatsEventKind.Disconnected);
        }
        finally
        {
            server.Resume();
        }

        await events.WaitForAsync(NatsEventKind.Reconnected);
        Assert.True(requester.IsConnected);
    }

    [Fact]
    public async Task A_request_made_while_reconnecting_is_sent_after_the_reconnect()
    {
        await using var server = await NatsServerProcess.StartNewAsync();
        await using var responder = new NatsTransport(TestTimes.Options(server.Url));
        await using var requester = new NatsTransport(TestTimes.Options(server.Url));
        await responder.ConnectAsync();
        await requester.ConnectAsync();
        await using var sub = await responder.SubscribeAsync("echo", async m => await responder.PublishAsync(m.ReplyTo!, m.Payload));
        Assert.Equal("1", Encoding.UTF8.GetString((await requester.RequestAsync("echo", "1"u8.ToArray())).Payload.Span));

        server.Kill();
        await TestTimes.WaitUntilAsync(() => !requester.IsConnected, "the requester noticed the server is gone");
        var request = requester.RequestAsync("echo", "2"u8.ToArray(), null, TimeSpan.FromSeconds(20)).AsTask();
        await server.StartAsync();
        await TestTimes.WaitUntilAsync(() => responder.IsConnected && requester.IsConnected, "both reconnected");

        // The request is either answered, or (when the requester came back before the responder's subscription)
        // refused with no responders; it is never left hanging nor failed as lost.
        try
        {
            var reply = await request.WaitAsync(TestTimes.Wait);
            Assert.Equal("2", Encoding.UTF8.GetString(reply.Payload.Span));
        }
        catch (MaculaTransportException e)
        {
            Assert.Equal(TransportErrorKind.NoResponders, e.Kind);
        }

        await responder.FlushAsync(TestTimes.Wait);
        Assert.Equal("3", Encoding.UTF8.GetString((await requester.RequestAsync("echo", "3"u8.ToArray())).Payload.Span));
    }

    [Fact]
    public async Task Giving_up_after_max_reconnect_attempts_closes_the_transport()
    {
        await using var server = await NatsServerProcess.StartNewAsync();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(server.Url) with { MaxReconnectAttempts = 2, OnEvent = events.Sink });
        await transport.ConnectAsync();
        server.Kill();
        var closed = await events.WaitForAsync(NatsEventKind.Closed);
        Assert.Contains("MaxReconnectAttempts", closed.Message);
        Assert.True(transport.IsClosed);
        Assert.True(events.Count(NatsEventKind.ConnectFailed) >= 2, $"{events.Count(NatsEventKind.ConnectFailed)} failed attempts reported");
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.PublishAsync("x", "y"u8.ToArray()));
        Assert.Equal(TransportErrorKind.Closed, e.Kind);
    }

    [Fact]
    public async Task A_server_entering_lame_duck_mode_is_reported_and_the_client_moves_to_another_server()
    {
        string dir = Directory.CreateTempSubdirectory("macula-ldm-").FullName;
        try
        {
            string config = Path.Combine(dir, "ldm.conf");
            File.WriteAllText(config, "lame_duck_grace_period: \"500ms\"\nlame_duck_duration: \"30s\"\n");
            await using var leaving = await NatsServerProcess.StartNewAsync("-c", config);
            await using var staying = await NatsServerProcess.StartNewAsync();
            var events = new EventLog();
            await using var transport = new NatsTransport(TestTimes.Options(leaving.Url, staying.Url) with { OnEvent = events.Sink });
            await transport.ConnectAsync();
            Assert.Equal(leaving.Url, transport.ConnectedServer);

            leaving.EnterLameDuckMode();
            var ldm = await events.WaitForAsync(NatsEventKind.LameDuckMode);
            Assert.Contains($"127.0.0.1:{leaving.Port}", ldm.Message);
            await events.WaitForAsync(NatsEventKind.Reconnected, TimeSpan.FromSeconds(30));
            Assert.Equal(staying.Url, transport.ConnectedServer);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_is_refused_naming_the_server()
    {
        int port = NatsServerProcess.FreePort();
        await using var transport = new NatsTransport(TestTimes.Options($"nats://127.0.0.1:{port}"));
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.ConnectAsync());
        Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.False(transport.IsConnected);
    }

    [Fact]
    public async Task The_first_reachable_server_of_the_list_is_used()
    {
        await using var server = await NatsServerProcess.StartNewAsync();
        int dead = NatsServerProcess.FreePort();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options($"nats://127.0.0.1:{dead}", server.Url) with { OnEvent = events.Sink });
        await transport.ConnectAsync();
        Assert.Equal(server.Url, transport.ConnectedServer);
        Assert.Contains(events.All, e => e.Kind == NatsEventKind.ConnectFailed && e.Message.Contains($"127.0.0.1:{dead}", StringComparison.Ordinal));
    }
}
