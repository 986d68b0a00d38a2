using System.Buffers;
using System.Text;
using Macula.Nats.Protocol;

namespace Macula.Nats.Tests.Unit;

public sealed class NatsParserTests
{
    private const int Limit = 1024 * 1024;

    private const string Stream =
        "INFO {\"server_id\":\"S1\",\"max_payload\":2048,\"headers\":true,\"connect_urls\":[\"10.0.0.1:4222\",\"10.0.0.2:4222\"]}\r\n" +
        "PING\r\n" +
        "MSG greet.joe 7 11\r\nhello world\r\n" +
        "MSG greet.ann 8 _INBOX.x.1 3\r\nabc\r\n" +
        "HMSG req 9 _INBOX.x.2 26 31\r\nNATS/1.0\r\nA: 1\r\nB: two\r\n\r\nhello\r\n" +
        "MSG empty 3 0\r\n\r\n" +
        "+OK\r\n" +
        "-ERR 'Permissions Violation for Publish to foo'\r\n" +
        "PONG\r\n";

    [Fact]
    public void Parses_many_frames_from_one_read()
    {
        var frames = ParseAll(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(Stream)), out var rest);
        Assert.True(rest.IsEmpty);
        AssertExpectedFrames(frames);
    }

    [Fact]
    public void Parses_the_same_frames_when_bytes_arrive_one_at_a_time()
    {
        // Feeds a growing buffer split into one-byte segments, as a socket delivering single bytes would.
        byte[] all = Encoding.UTF8.GetBytes(Stream);
        var frames = new List<Parsed>();
        int consumed = 0;
        for (int available = 1; available <= all.Length; available++)
        {
            var buffer = Segmented(all.AsSpan(consumed, available - consumed).ToArray(), 1);
            long before = buffer.Length;
            while (NatsParser.TryParse(ref buffer, Limit, out var frame))
            {
                frames.Add(Parsed.From(frame));
            }

            consumed += (int)(before - buffer.Length);
        }

        Assert.Equal(all.Length, consumed);
        AssertExpectedFrames(frames);
    }

    [Fact]
    public void An_incomplete_payload_consumes_nothing()
    {
        var buffer = new ReadOnlySequence<byte>("MSG a 1 10\r\n01234"u8.ToArray());
        Assert.False(NatsParser.TryParse(ref buffer, Limit, out _));
        Assert.Equal(17, buffer.Length);
    }

    [Fact]
    public void A_size_field_that_lies_is_a_protocol_error()
    {
        var buffer = new ReadOnlySequence<byte>("MSG a 1 5\r\nhello world\r\n"u8.ToArray());
        var e = Assert.Throws<NatsProtocolException>(() => NatsParser.TryParse(ref buffer, Limit, out _));
        Assert.Contains("size field", e.Message);
    }

    [Theory]
    [InlineData("GARBAGE\r\n")]
    [InlineData("\u0001\u0002\u0003")]
    [InlineData("MSG a b 5\r\nhello\r\n")]
    [InlineData("MSG a 1 -5\r\nhello\r\n")]
    [InlineData("MSG a\r\n")]
    [InlineData("HMSG a 1 10 5\r\n0123456789\r\n")]
    [InlineData("INFO {not json\r\n")]
    [InlineData("INFO {\"max_payload\":-1}\r\n")]
    public void Garbage_is_a_protocol_error(string input)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(input));
        Assert.Throws<NatsProtocolException>(() => NatsParser.TryParse(ref buffer, Limit, out _));
    }

    [Fact]
    public void A_line_that_never_ends_is_a_protocol_error()
    {
        var bytes = new byte[NatsParser.MaxControlLine + 10];
        "INFO "u8.CopyTo(bytes);
        bytes.AsSpan(5).Fill((byte)'x');
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Throws<NatsProtocolException>(() => NatsParser.TryParse(ref buffer, Limit, out _));
    }

    [Fact]
    public void A_message_larger_than_the_limit_is_a_protocol_error_before_its_payload_arrives()
    {
        var buffer = new ReadOnlySequence<byte>("MSG a 1 5000\r\n"u8.ToArray());
        var e = Assert.Throws<NatsProtocolException>(() => NatsParser.TryParse(ref buffer, 4096, out _));
        Assert.Contains("5000", e.Message);
    }

    private static void AssertExpectedFrames(List<Parsed> frames)
    {
        Assert.Equal(9, frames.Count);
        Assert.Equal(NatsOp.Info, frames[0].Op);
        Assert.Equal(2048, frames[0].Info!.MaxPayload);
        Assert.True(frames[0].Info!.Headers);
        Assert.Equal(["10.0.0.1:4222", "10.0.0.2:4222"], frames[0].Info!.ConnectUrls);
        Assert.Equal(NatsOp.Ping, frames[1].Op);
        Assert.Equal(new Parsed(NatsOp.Msg, "greet.joe", 7, null, "", "hello world", null), frames[2]);
        Assert.Equal(new Parsed(NatsOp.Msg, "greet.ann", 8, "_INBOX.x.1", "", "abc", null), frames[3]);
        Assert.Equal(new Parsed(NatsOp.HMsg, "req", 9, "_INBOX.x.2", "NATS/1.0\r\nA: 1\r\nB: two\r\n\r\n", "hello", null), frames[4]);
        Assert.Equal(new Parsed(NatsOp.Msg, "empty", 3, null, "", "", null), frames[5]);
        Assert.Equal(NatsOp.Ok, frames[6].Op);
        Assert.Equal(NatsOp.Err, frames[7].Op);
        Assert.Equal("Permissions Violation for Publish to foo", frames[7].Error);
        Assert.Equal(NatsOp.Pong, frames[8].Op);
    }

    private static List<Parsed> ParseAll(ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> rest)
    {
        var frames = new List<Parsed>();
        while (NatsParser.TryParse(ref buffer, Limit, out var frame))
        {
            frames.Add(Parsed.From(frame));
        }

        rest = buffer;
        return frames;
    }

    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, Math.Min(segmentSize, bytes.Length)), 0);
        var last = first;
        for (int at = segmentSize; at < bytes.Length; at += segmentSize)
        {
            last = last.Append(bytes.AsMemory(at, Math.Min(segmentSize, bytes.Length - at)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private sealed record Parsed(NatsOp Op, string? Subject, long Sid, string? ReplyTo, string Headers, string Payload, string? Error)
    {
        public ServerInfo? Info { get; init; }

        public static Parsed From(in NatsFrame frame) => new(
            frame.Op,
            frame.Subject,
            frame.Sid,
            frame.ReplyTo,
            Encoding.UTF8.GetString(frame.Headers.ToArray()),
            Encoding.UTF8.GetString(frame.Payload.ToArray()),
            frame.Error)
        {
            Info = frame.Info,
        };
    }
}
