using System.Buffers;
using System.Text;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats.Tests.Unit;

/// <summary>The reply inbox's own reader of header bytes: what arrives from the bus is untrusted.</summary>
public sealed class RawHeaderParserTests
{
    private static MaculaHeaders Parse(string block, out int status) => RawHeaderParser.Parse(Encoding.ASCII.GetBytes(block), Encoding.ASCII, out status);

    private static MaculaHeaders Parse(string block) => Parse(block, out _);

    [Fact]
    public void Reads_entries_in_wire_order_and_trims_values()
    {
        var headers = Parse("NATS/1.0\r\nMacula-Status: ApplicationError\r\nMacula-Meta-a:1\r\nx-other: \t two words \t\r\n\r\n", out int status);

        Assert.Equal(0, status);
        Assert.Equal(
            [new("Macula-Status", "ApplicationError"), new("Macula-Meta-a", "1"), new("x-other", "two words")],
            headers.ToArray());
    }

    [Fact]
    public void Duplicate_names_keep_every_value_in_order()
    {
        var headers = Parse("NATS/1.0\r\nk: 1\r\nother: x\r\nK: 2\r\n\r\n");

        Assert.Equal([new("k", "1"), new("other", "x"), new("K", "2")], headers.ToArray());
        Assert.Equal("1", headers["k"]);
    }

    [Fact]
    public void Known_names_and_values_are_not_new_strings()
    {
        var headers = Parse("NATS/1.0\r\nMacula-Compression: lz4\r\nMacula-Stream-Seq: 7\r\n\r\n");

        var entries = headers.ToArray();
        Assert.Same("Macula-Compression", entries[0].Key);
        Assert.Same("lz4", entries[0].Value);
        Assert.Same("Macula-Stream-Seq", entries[1].Key);
        Assert.Equal("7", entries[1].Value);
    }

    [Fact]
    public void A_status_ok_reply_shares_its_entries_and_stays_changeable()
    {
        var first = Parse("NATS/1.0\r\nMacula-Status: ok\r\n\r\n");
        var second = Parse("NATS/1.0\r\nMacula-Status:ok\r\n\r\n");
        Assert.Equal([new("Macula-Status", "ok")], first.ToArray());

        first.Add("x", "1");
        first["Macula-Status"] = "changed";
        second.Remove("Macula-Status");

        Assert.Equal([new("x", "1"), new("Macula-Status", "changed")], first.ToArray());
        Assert.Empty(second);
        Assert.Equal([new("Macula-Status", "ok")], Parse("NATS/1.0\r\nMacula-Status: ok\r\n\r\n").ToArray());
    }

    [Theory]
    [InlineData("NATS/1.0\r\n\r\n", 0)]
    [InlineData("NATS/1.0 503\r\n\r\n", 503)]
    [InlineData("NATS/1.0 408 Request Timeout\r\n\r\n", 408)]
    public void Reads_the_status_code(string block, int expected)
    {
        var headers = Parse(block, out int status);

        Assert.Equal(expected, status);
        Assert.Empty(headers);
    }

    [Theory]
    [InlineData("", "truncated")]
    [InlineData("NATS/1.0", "truncated")]
    [InlineData("NATS/1.0\r\nMacula-Status: ok\r\n", "truncated")]
    [InlineData("NATS/1.0\r\nMacula-Status: ok", "truncated")]
    [InlineData("NATS/1.0\r\nMacula-Status: ok\r\n\r", "CRLF")]
    [InlineData("NATS/1.0\r\nMacula-Status: ok\n\r\n", "CRLF")]
    [InlineData("NATS/1.0\r\nMacula-Status: o\rk\r\n\r\n", "CRLF")]
    [InlineData("NATS/1.1\r\n\r\n", "NATS/1.0")]
    [InlineData("HTTP/1.1 200\r\n\r\n", "NATS/1.0")]
    [InlineData("NATS/1.0 50\r\n\r\n", "status code")]
    [InlineData("NATS/1.0 5a3\r\n\r\n", "status code")]
    [InlineData("NATS/1.0 5033\r\n\r\n", "status code")]
    [InlineData("NATS/1.0\r\nno colon\r\n\r\n", "no ':'")]
    [InlineData("NATS/1.0\r\n: value\r\n\r\n", "empty name")]
    [InlineData("NATS/1.0\r\nbad name: v\r\n\r\n", "0x20")]
    [InlineData("NATS/1.0\r\nMacula-Status: ok\r\n\r\nextra", "after its terminating")]
    [InlineData("NATS/1.0\r\nMacula-Status: ok\r\n\r\n\r\n", "after its terminating")]
    public void Refuses_malformed_blocks(string block, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => Parse(block));
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void Refuses_a_name_with_a_byte_outside_ascii()
    {
        byte[] block = [.. "NATS/1.0\r\nna"u8, 0xff, .. "me: v\r\n\r\n"u8];

        var ex = Assert.Throws<FormatException>(() => RawHeaderParser.Parse(block, Encoding.ASCII, out _));
        Assert.Contains("0xff", ex.Message);
    }

    [Fact]
    public void Refuses_more_entries_than_the_limit_and_takes_the_limit()
    {
        string Block(int entries) => "NATS/1.0\r\n" + string.Concat(Enumerable.Range(0, entries).Select(i => $"h{i}: {i}\r\n")) + "\r\n";

        Assert.Equal(RawHeaderParser.MaxEntries, Parse(Block(RawHeaderParser.MaxEntries)).Count);
        var ex = Assert.Throws<FormatException>(() => Parse(Block(RawHeaderParser.MaxEntries + 1)));
        Assert.Contains("more than", ex.Message);
    }

    [Fact]
    public void Truncation_at_every_byte_is_refused_never_over_read()
    {
        byte[] whole = Encoding.ASCII.GetBytes("NATS/1.0 408 Timeout\r\nMacula-Status: ok\r\nMacula-Meta-k: v\r\n\r\n");
        for (int length = 0; length < whole.Length; length++)
        {
            // An exact-size array: reading past the cut would read past the array.
            byte[] cut = whole[..length];
            Assert.Throws<FormatException>(() => RawHeaderParser.Parse(cut, Encoding.ASCII, out _));
        }

        Assert.Equal(2, RawHeaderParser.Parse(whole, Encoding.ASCII, out _).Count);
    }

    [Fact]
    public void Reads_a_block_split_over_segments()
    {
        byte[] whole = Encoding.ASCII.GetBytes("NATS/1.0\r\nMacula-Status: BadRequest\r\nMacula-Meta-k: v\r\n\r\n");
        for (int split = 1; split < whole.Length; split++)
        {
            var sequence = Segments(whole[..split], whole[split..]);
            var headers = RawHeaderParser.Parse(sequence, Encoding.ASCII, out _);
            Assert.Equal([new("Macula-Status", "BadRequest"), new("Macula-Meta-k", "v")], headers.ToArray());
        }
    }

    private static ReadOnlySequence<byte> Segments(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        var tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
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
}
