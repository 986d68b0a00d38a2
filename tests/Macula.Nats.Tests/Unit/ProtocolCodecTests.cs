using System.Text;
using Macula.Nats.Protocol;
using Macula.Transport;

namespace Macula.Nats.Tests.Unit;

public sealed class ProtocolCodecTests
{
    [Fact]
    public void Headers_round_trip_in_order_with_repeats_and_unicode_values()
    {
        var headers = new MaculaHeaders { { "Macula-Method", "AddAsync" }, { "X-Repeat", "1" }, { "X-Repeat", "2" }, { "Note", "grüße, 世界" } };
        var bytes = new byte[NatsHeaderCodec.GetEncodedLength(headers)];
        Assert.Equal(bytes.Length, NatsHeaderCodec.Write(bytes, headers));
        Assert.StartsWith("NATS/1.0\r\nMacula-Method: AddAsync\r\n", Encoding.UTF8.GetString(bytes));
        Assert.EndsWith("\r\n\r\n", Encoding.UTF8.GetString(bytes));

        var decoded = NatsHeaderCodec.Decode(bytes, out int status);
        Assert.Equal(0, status);
        Assert.Equal(headers.ToList(), decoded!.ToList());
    }

    [Theory]
    [InlineData("NATS/1.0 503\r\n\r\n", 503)]
    [InlineData("NATS/1.0 503 No Responders\r\n\r\n", 503)]
    [InlineData("NATS/1.0 408 Request Timeout\r\nX: y\r\n\r\n", 408)]
    [InlineData("NATS/1.0\r\nX: y\r\n\r\n", 0)]
    public void Decodes_the_status_line(string block, int expected)
    {
        NatsHeaderCodec.Decode(Encoding.ASCII.GetBytes(block), out int status);
        Assert.Equal(expected, status);
    }

    [Fact]
    public void Skips_malformed_header_lines_and_trims_values()
    {
        var headers = NatsHeaderCodec.Decode("NATS/1.0\r\nno colon here\r\nBad Name: x\r\nGood:   spaced value \t\r\n\r\n"u8, out _);
        var entry = Assert.Single(headers!);
        Assert.Equal(new KeyValuePair<string, string>("Good", "spaced value"), entry);
    }

    [Fact]
    public void A_block_without_the_version_line_yields_no_headers()
    {
        Assert.Null(NatsHeaderCodec.Decode("HTTP/1.1 200\r\n\r\n"u8, out int status));
        Assert.Equal(0, status);
    }

    [Fact]
    public void Writes_pub_hpub_sub_and_unsub_frames()
    {
        using var buffer = new ByteBuffer();
        NatsWriter.WritePublish(buffer, "a.b", null, null, 0, "hi"u8);
        NatsWriter.WritePublish(buffer, "a.b", "_INBOX.x.1", null, 0, ReadOnlySpan<byte>.Empty);
        var headers = new MaculaHeaders { { "K", "v" } };
        int headerLength = NatsHeaderCodec.GetEncodedLength(headers);
        NatsWriter.WritePublish(buffer, "c", "r", headers, headerLength, "body"u8);
        NatsWriter.WriteSubscribe(buffer, "a.*", null, 1);
        NatsWriter.WriteSubscribe(buffer, "a.>", "workers", 22);
        NatsWriter.WriteUnsubscribe(buffer, 1);
        NatsWriter.WriteUnsubscribe(buffer, 22, 5);
        Assert.Equal(
            "PUB a.b 2\r\nhi\r\n" +
            "PUB a.b _INBOX.x.1 0\r\n\r\n" +
            "HPUB c r 18 22\r\nNATS/1.0\r\nK: v\r\n\r\nbody\r\n" +
            "SUB a.* 1\r\n" +
            "SUB a.> workers 22\r\n" +
            "UNSUB 1\r\n" +
            "UNSUB 22 5\r\n",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(NatsWriter.GetPublishLength("a.b", null, 0, 2), "PUB a.b 2\r\nhi\r\n".Length);
    }

    [Fact]
    public void Connect_carries_the_required_fields_and_credentials()
    {
        using var buffer = new ByteBuffer();
        NatsWriter.WriteConnect(buffer, new ConnectOptions(false, "svc-a", "1.2.3", "joe", "s3cret", null));
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.StartsWith("CONNECT {", text);
        Assert.EndsWith("}\r\n", text);
        using var json = System.Text.Json.JsonDocument.Parse(text["CONNECT ".Length..^2]);
        var root = json.RootElement;
        Assert.False(root.GetProperty("verbose").GetBoolean());
        Assert.False(root.GetProperty("pedantic").GetBoolean());
        Assert.True(root.GetProperty("headers").GetBoolean());
        Assert.True(root.GetProperty("no_responders").GetBoolean());
        Assert.Equal("csharp-macula", root.GetProperty("lang").GetString());
        Assert.Equal("1.2.3", root.GetProperty("version").GetString());
        Assert.Equal("svc-a", root.GetProperty("name").GetString());
        Assert.Equal("joe", root.GetProperty("user").GetString());
        Assert.Equal("s3cret", root.GetProperty("pass").GetString());
        Assert.False(root.TryGetProperty("auth_token", out _));
    }
}
