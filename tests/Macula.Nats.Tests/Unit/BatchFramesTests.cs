using Macula.Nats.Coalescing;
using Macula.Serialization;
using Macula.Transport;

namespace Macula.Nats.Tests.Unit;

/// <summary>The frames of a coalesced message: what is written reads back, and what is not a batch is refused whole.</summary>
public sealed class BatchFramesTests
{
    private static byte[] Write(params (string Subject, MaculaHeaders? Headers, byte[] Payload)[] frames)
    {
        using var body = new PooledBufferWriter();
        foreach (var (subject, headers, payload) in frames)
        {
            BatchFrames.Write(body, subject, headers, payload);
        }

        return body.WrittenSpan.ToArray();
    }

    [Fact]
    public void Frames_read_back_as_written_with_payloads_sliced_from_the_body()
    {
        var headers = new MaculaHeaders { { "Macula-Call", "c1" }, { "x", "1" }, { "x", "2" } };
        byte[] body = Write(("_INBOX.a.1", headers, [1, 2, 3]), ("_INBOX.a.2", null, []), ("_INBOX.a.3", new MaculaHeaders(), new byte[300]));
        var frames = new List<BatchFrames.Frame>();

        Assert.Null(BatchFrames.TryRead(body, "3", frames));

        Assert.Equal(["_INBOX.a.1", "_INBOX.a.2", "_INBOX.a.3"], frames.Select(f => f.Subject));
        Assert.Equal([new("Macula-Call", "c1"), new("x", "1"), new KeyValuePair<string, string>("x", "2")], frames[0].Headers!);
        Assert.Equal(new byte[] { 1, 2, 3 }, frames[0].Payload.ToArray());
        Assert.Null(frames[1].Headers);
        Assert.True(frames[1].Payload.IsEmpty);
        Assert.Equal(0, frames[2].Headers!.Count);
        Assert.Equal(300, frames[2].Payload.Length);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frames[0].Payload, out var segment) && ReferenceEquals(segment.Array, body));
    }

    [Theory]
    [InlineData(null, "not a count")]
    [InlineData("0", "not a count")]
    [InlineData("-1", "not a count")]
    [InlineData("1025", "not a count")]
    [InlineData(" 2", "not a count")]
    [InlineData("3", "frame 3 of 3 is not an array of 3")]
    [InlineData("1", "bytes after its 1 frames")]
    public void A_count_that_is_not_the_number_of_frames_refuses_the_whole_batch(string? count, string problem)
    {
        byte[] body = Write(("a.1", null, [1]), ("a.2", null, [2]));
        var frames = new List<BatchFrames.Frame> { new("kept.from.before", null, default) };

        string? refused = BatchFrames.TryRead(body, count, frames);

        Assert.NotNull(refused);
        Assert.Contains(problem, refused, StringComparison.Ordinal);
        Assert.Equal(["kept.from.before"], frames.Select(f => f.Subject));
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "truncated payload", [0x93, 0xa3, (byte)'a', (byte)'.', (byte)'b', 0xc0, 0xc4, 0x05, 1, 2] },
        { "truncated header map", [0x93, 0xa3, (byte)'a', (byte)'.', (byte)'b', 0x81, 0xa1, (byte)'x'] },
        { "a map instead of an array", [0x81, 0xa1, (byte)'x', 0x01] },
        { "an array of 2", [0x92, 0xa3, (byte)'a', (byte)'.', (byte)'b', 0xc0] },
        { "a wildcard subject", [0x93, 0xa3, (byte)'a', (byte)'.', (byte)'>', 0xc0, 0xc4, 0x00] },
        { "an empty subject", [0x93, 0xa0, 0xc0, 0xc4, 0x00] },
        { "a number for a subject", [0x93, 0x05, 0xc0, 0xc4, 0x00] },
        { "a string for a payload", [0x93, 0xa3, (byte)'a', (byte)'.', (byte)'b', 0xc0, 0xa1, (byte)'x'] },
        { "a header name with a colon", [0x93, 0xa3, (byte)'a', (byte)'.', (byte)'b', 0x81, 0xa2, (byte)'x', (byte)':', 0xa1, (byte)'v', 0xc4, 0x00] },
        { "a header value with a line break", [0x93, 0xa3, (byte)'a', (byte)'.', (byte)'b', 0x81, 0xa1, (byte)'x', 0xa2, (byte)'v', (byte)'\n', 0xc4, 0x00] },
        { "65 headers", [0x93, 0xa3, (byte)'a', (byte)'.', (byte)'b', 0xde, 0x00, 0x41, 0xc4, 0x00] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_frame_refuses_the_batch_with_a_reason(string what, byte[] body)
    {
        var frames = new List<BatchFrames.Frame>();

        string? refused = BatchFrames.TryRead(body, "1", frames);

        Assert.True(refused is not null, what);
        Assert.Empty(frames);
    }
}
