using System.Text;
using Macula.Nats.Internal;
using Macula.Nats.Tests.Infrastructure;
using Macula.Transport;

namespace Macula.Nats.Tests.Mock;

/// <summary>What the client does when the server misbehaves: it reports, reconnects, and never leaves a caller hanging.</summary>
public sealed class MockServerTests
{
    [Fact]
    public async Task The_handshake_sends_connect_with_the_required_fields_and_answers_server_pings()
    {
        await using var mock = new MockNatsServer();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { Name = "probe", Token = "tok" });
        var connect = transport.ConnectAsync().AsTask();
        var client = await mock.AcceptAndHandshakeAsync();
        await connect.WaitAsync(TestTimes.Wait);

        Assert.StartsWith("CONNECT {", client.Handshake);
        foreach (string field in new[] { "\"verbose\":false", "\"pedantic\":false", "\"headers\":true", "\"no_responders\":true", "\"lang\":\"csharp-macula\"", "\"name\":\"probe\"", "\"auth_token\":\"tok\"", "\"protocol\":1" })
        {
            Assert.Contains(field, client.Handshake);
        }

        await client.SendAsync("PING\r\n");
        await client.ReadUntilAsync("PONG\r\n");
    }

    [Fact]
    public async Task Garbage_after_the_handshake_is_reported_in_flight_requests_fail_and_the_client_reconnects_with_its_subscriptions()
    {
        await using var mock = new MockNatsServer();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { OnEvent = events.Sink });
        var first = await ConnectAsync(transport, mock);
        await using var sub = await transport.Connection.SubscribeAndForget("watched");
        await first.ReadUntilAsync("SUB watched 1\r\n");

        var request = ((IMaculaTransport)transport).RequestAsync("svc", "hi"u8.ToArray(), null, TimeSpan.FromMinutes(5)).AsTask();
        await first.ReadUntilAsync("PUB svc _INBOX.");
        await first.SendAsync([0x00, 0x01, 0xfe, (byte)'G', (byte)'A', (byte)'R', (byte)'B', (byte)'\r', (byte)'\n']);

        var e = await Assert.ThrowsAsync<MaculaTransportException>(() => request.WaitAsync(TestTimes.Wait));
        Assert.Equal(TransportErrorKind.ConnectionLost, e.Kind);
        var reported = await events.WaitForAsync(NatsEventKind.ProtocolError);
        Assert.Contains("Unknown protocol operation", reported.Message);

        var second = await mock.AcceptAndHandshakeAsync();
        string restored = await second.ReadUntilAsync("SUB watched 1\r\n");
        Assert.Contains("SUB _INBOX.", restored + second.Received, StringComparison.Ordinal);
        await events.WaitForAsync(NatsEventKind.Reconnected);
    }

    [Fact]
    public async Task A_frame_cut_in_the_middle_by_a_close_is_reported_and_the_client_reconnects()
    {
        await using var mock = new MockNatsServer();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { OnEvent = events.Sink });
        var first = await ConnectAsync(transport, mock);
        await first.SendAsync("MSG watched 1 11\r\nhel");
        first.Dispose();

        var reported = await events.WaitForAsync(NatsEventKind.ProtocolError);
        Assert.Contains("middle of a frame", reported.Message);
        await mock.AcceptAndHandshakeAsync();
        await events.WaitForAsync(NatsEventKind.Reconnected);
        Assert.True(transport.IsConnected);
    }

    [Fact]
    public async Task A_msg_whose_size_field_lies_is_reported_and_not_delivered()
    {
        await using var mock = new MockNatsServer();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { OnEvent = events.Sink });
        var first = await ConnectAsync(transport, mock);
        int delivered = 0;
        var subscribing = ((IMaculaTransport)transport).SubscribeAsync("lies", _ => { Interlocked.Increment(ref delivered); return ValueTask.CompletedTask; }).AsTask();
        await first.ReadUntilAsync("SUB lies 1\r\nPING\r\n");
        Assert.False(subscribing.IsCompleted, "SubscribeAsync waits for the server to confirm the subscription.");
        await first.SendAsync("PONG\r\n");
        await using var sub = await subscribing.WaitAsync(TestTimes.Wait);

        await first.SendAsync("MSG lies 1 5\r\nhello world\r\n");
        var reported = await events.WaitForAsync(NatsEventKind.ProtocolError);
        Assert.Contains("size field", reported.Message);
        await mock.AcceptAndHandshakeAsync();
        await events.WaitForAsync(NatsEventKind.Reconnected);
        Assert.Equal(0, delivered);
    }

    [Fact]
    public async Task A_stalled_server_is_detected_by_keepalive_and_a_waiting_request_fails_before_its_timeout()
    {
        await using var mock = new MockNatsServer();
        var events = new EventLog();
        var options = TestTimes.Options(mock.Url) with
        {
            OnEvent = events.Sink,
            PingInterval = TimeSpan.FromMilliseconds(200),
            MaxPingsOut = 2,
        };
        await using var transport = new NatsTransport(options);
        var first = await ConnectAsync(transport, mock);

        // Half a frame, then silence: the server neither finishes the frame nor answers PINGs.
        await first.SendAsync("MSG stalled 1 100\r\nabc");
        var request = ((IMaculaTransport)transport).RequestAsync("svc", "hi"u8.ToArray(), null, TimeSpan.FromMinutes(5)).AsTask();

        var e = await Assert.ThrowsAsync<MaculaTransportException>(() => request.WaitAsync(TestTimes.Wait));
        Assert.Equal(TransportErrorKind.ConnectionLost, e.Kind);
        Assert.Contains("stale connection", e.Message);
        await events.WaitForAsync(ev => ev.Kind == NatsEventKind.Disconnected && ev.Message.Contains("stale", StringComparison.Ordinal));

        // A new connection that answers PINGs stays up.
        var second = await mock.AcceptAndHandshakeAsync();
        await events.WaitForAsync(NatsEventKind.Reconnected);
        await second.ReadUntilAsync("PING\r\n");
        await second.SendAsync("PONG\r\n");
        Assert.True(transport.IsConnected);
    }

    [Fact]
    public async Task A_request_to_a_stalled_server_with_a_short_timeout_times_out()
    {
        await using var mock = new MockNatsServer();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url));
        await ConnectAsync(transport, mock);
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () =>
            await ((IMaculaTransport)transport).RequestAsync("svc", "hi"u8.ToArray(), null, TimeSpan.FromMilliseconds(300)).AsTask().WaitAsync(TestTimes.Wait));
        Assert.Equal(TransportErrorKind.Timeout, e.Kind);
    }

    [Fact]
    public async Task A_fatal_server_error_is_reported_and_the_client_reconnects_while_a_permissions_error_keeps_the_connection()
    {
        await using var mock = new MockNatsServer();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { OnEvent = events.Sink });
        var first = await ConnectAsync(transport, mock);
        var alive = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sub = transport.Connection.Subscribe("alive", null, _ => { alive.TrySetResult(); return ValueTask.CompletedTask; });
        await first.ReadUntilAsync("SUB alive 1\r\n");

        await first.SendAsync("-ERR 'Permissions Violation for Publish to \"secret\"'\r\n");
        await events.WaitForAsync(e => e.Kind == NatsEventKind.ServerError && e.Message.Contains("Permissions", StringComparison.Ordinal));

        // The same connection still delivers.
        await first.SendAsync("MSG alive 1 2\r\nok\r\n");
        await alive.Task.WaitAsync(TestTimes.Wait);
        Assert.True(transport.IsConnected);
        Assert.Equal(0, events.Count(NatsEventKind.Disconnected));

        await first.SendAsync("-ERR 'Stale Connection'\r\n");
        await events.WaitForAsync(e => e.Kind == NatsEventKind.ServerError && e.Message.Contains("Stale Connection", StringComparison.Ordinal));
        await mock.AcceptAndHandshakeAsync();
        await events.WaitForAsync(NatsEventKind.Reconnected);
    }

    [Fact]
    public async Task Info_updates_are_honoured_max_payload_is_enforced_and_connect_urls_join_the_server_list()
    {
        await using var mock = new MockNatsServer();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url));
        var first = await ConnectAsync(transport, mock);
        Assert.Equal(1048576, transport.MaxPayload);

        await first.SendAsync("INFO {\"server_id\":\"MOCK\",\"max_payload\":100,\"headers\":true,\"connect_urls\":[\"127.0.0.1:1\",\"127.0.0.2:2\"]}\r\n");
        await TestTimes.WaitUntilAsync(() => transport.MaxPayload == 100 && transport.KnownServers.Count == 3, "the INFO update was applied");
        Assert.Contains("nats://127.0.0.2:2", transport.KnownServers);

        await transport.PublishAsync("ok", new byte[100]);
        var e = await Assert.ThrowsAsync<MaculaTransportException>(async () => await transport.PublishAsync("too.big", new byte[101]));
        Assert.Equal(TransportErrorKind.PayloadTooLarge, e.Kind);
        Assert.Contains("101 bytes", e.Message);
        Assert.Contains("max_payload of 100", e.Message);
    }

    [Fact]
    public async Task A_message_larger_than_max_payload_from_the_server_is_a_protocol_error()
    {
        await using var mock = new MockNatsServer();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { OnEvent = events.Sink });
        var first = await ConnectAsync(transport, mock);
        await first.SendAsync("MSG x 1 999999999\r\n");
        var reported = await events.WaitForAsync(NatsEventKind.ProtocolError);
        Assert.Contains("999999999", reported.Message);
    }

    [Fact]
    public async Task Garbage_instead_of_info_fails_connect_with_a_protocol_error()
    {
        await using var mock = new MockNatsServer();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url));
        var connect = transport.ConnectAsync().AsTask();
        var client = await mock.AcceptAsync();
        await client.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n");
        var e = await Assert.ThrowsAsync<MaculaTransportException>(() => connect.WaitAsync(TestTimes.Wait));
        Assert.Equal(TransportErrorKind.ProtocolError, e.Kind);
        Assert.Contains("HTTP/1.1", e.Message);
    }

    [Fact]
    public async Task A_server_that_never_sends_info_fails_connect_within_the_connect_timeout()
    {
        await using var mock = new MockNatsServer();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        var connect = transport.ConnectAsync().AsTask();
        await mock.AcceptAsync();
        var e = await Assert.ThrowsAsync<MaculaTransportException>(() => connect.WaitAsync(TestTimes.Wait));
        Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
        Assert.Contains("ConnectTimeout", e.Message);
    }

    [Fact]
    public async Task A_server_that_closes_during_the_handshake_fails_connect()
    {
        await using var mock = new MockNatsServer();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url));
        var connect = transport.ConnectAsync().AsTask();
        var client = await mock.AcceptAsync();
        await client.SendAsync(MockNatsServer.Info);
        await client.ReadUntilAsync("PING\r\n");
        client.Dispose();
        var e = await Assert.ThrowsAsync<MaculaTransportException>(() => connect.WaitAsync(TestTimes.Wait));
        Assert.Equal(TransportErrorKind.ConnectionRefused, e.Kind);
        Assert.Contains("closed the connection", e.Message);
    }

    [Fact]
    public async Task Messages_split_across_many_small_writes_and_many_messages_in_one_write_are_all_delivered()
    {
        await using var mock = new MockNatsServer();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url));
        var first = await ConnectAsync(transport, mock);
        var seen = new List<string>();
        var subscribing = ((IMaculaTransport)transport).SubscribeAsync("feed", m =>
        {
            lock (seen)
            {
                seen.Add(Encoding.UTF8.GetString(m.Payload.Span) + "|" + (m.Headers?["K"] ?? "-"));
            }

            return ValueTask.CompletedTask;
        }).AsTask();
        await first.ReadUntilAsync("SUB feed 1\r\nPING\r\n");
        await first.SendAsync("PONG\r\n");
        await using var sub = await subscribing.WaitAsync(TestTimes.Wait);

        var burst = new StringBuilder();
        for (int i = 0; i < 50; i++)
        {
            burst.Append(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"MSG feed 1 {(i < 10 ? 2 : 3)}\r\nm{i}\r\n"));
        }

        burst.Append("HMSG feed 1 18 23\r\nNATS/1.0\r\nK: v\r\n\r\nhello\r\n");
        byte[] bytes = Encoding.UTF8.GetBytes(burst.ToString());
        await first.SendAsync(bytes[..(bytes.Length / 2)]);
        for (int i = bytes.Length / 2; i < bytes.Length; i++)
        {
            await first.SendAsync(bytes[i..(i + 1)]);
        }

        await TestTimes.WaitUntilAsync(() => { lock (seen) { return seen.Count == 51; } }, "all 51 messages were delivered");
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}|-").Append("hello|v"), seen);
    }

    [Fact]
    public async Task A_handler_that_falls_far_behind_is_reported_once_as_a_slow_consumer_without_stalling_the_connection()
    {
        await using var mock = new MockNatsServer();
        var events = new EventLog();
        await using var transport = new NatsTransport(TestTimes.Options(mock.Url) with { OnEvent = events.Sink });
        var first = await ConnectAsync(transport, mock);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int slow = 0;
        var other = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sentinel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slowSub = transport.Connection.Subscribe("flood", null, async m =>
        {
            await release.Task;
            Interlocked.Increment(ref slow);
            if (m.Payload.Span[0] == (byte)'z')
            {
                sentinel.TrySetResult();
            }
        });
        await using var otherSub = transport.Connection.Subscribe("other", null, _ => { other.TrySetResult(); return ValueTask.CompletedTask; });
        await first.ReadUntilAsync("SUB other 2\r\n");

        int flood = NatsSubscription.PendingLimit + 1000;
        var burst = new StringBuilder(flood * 16);
        for (int i = 0; i < flood; i++)
        {
            burst.Append("MSG flood 1 1\r\nx\r\n");
        }

        burst.Append("MSG other 2 1\r\ny\r\n");
        await first.SendAsync(burst.ToString());

        // The other subscription is served although the flooded one is full.
        await other.Task.WaitAsync(TestTimes.Wait);
        await events.WaitForAsync(NatsEventKind.SlowConsumer);
        Assert.Equal(1, events.Count(NatsEventKind.SlowConsumer));
        Assert.True(transport.IsConnected);

        // Once the handler caught up, a later message is delivered again; everything past the limit was dropped
        // (one message may have been in the handler rather than in the queue).
        release.SetResult();
        await TestTimes.WaitUntilAsync(() => Volatile.Read(ref slow) >= NatsSubscription.PendingLimit, "the queued messages were handled");
        await first.SendAsync("MSG flood 1 1\r\nz\r\n");
        await sentinel.Task.WaitAsync(TestTimes.Wait);
        Assert.InRange(Volatile.Read(ref slow), NatsSubscription.PendingLimit + 1, NatsSubscription.PendingLimit + 2);
    }

    private static async Task<MockClient> ConnectAsync(NatsTransport transport, MockNatsServer mock)
    {
        var connect = transport.ConnectAsync().AsTask();
        var client = await mock.AcceptAndHandshakeAsync();
        await connect.WaitAsync(TestTimes.Wait);
        return client;
    }
}

internal static class ConnectionTestExtensions
{
    /// <summary>A subscription with a handler that does nothing, without waiting for the server's confirmation.</summary>
    public static Task<IAsyncDisposable> SubscribeAndForget(this NatsConnection connection, string subject) =>
        Task.FromResult<IAsyncDisposable>(connection.Subscribe(subject, null, _ => ValueTask.CompletedTask));
}
