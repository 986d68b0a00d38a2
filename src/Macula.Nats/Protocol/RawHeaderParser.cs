using System.Buffers;
using System.Text;
using Macula.Rpc;
using Macula.Rpc.Streaming;
using Macula.Transport;

namespace Macula.Nats.Protocol;

/// <summary>
/// Reads a NATS header block (ADR-4: <c>NATS/1.0[ code[ description]]\r\n</c>, <c>name: value\r\n</c> each, then
/// <c>\r\n</c>) straight into <see cref="MaculaHeaders"/>, in wire order. Macula's own header names and the common
/// values (<c>ok</c>, <c>lz4</c>) are not made into new strings, and a reply that is only <c>Macula-Status: ok</c>
/// shares one array. The block comes from the bus, so it is untrusted: anything malformed, truncated or with more
/// than <see cref="MaxEntries"/> entries is refused with a <see cref="FormatException"/> that says what is wrong,
/// and nothing is read outside the block.
/// </summary>
internal static class RawHeaderParser
{
    /// <summary>The most entries a block may have (Macula sends fewer than 20; metadata is limited to 8192 bytes).</summary>
    public const int MaxEntries = 1024;

    private static readonly byte[] Version = "NATS/1.0"u8.ToArray();

    private static readonly KeyValuePair<string, string>[] StatusOk = [new(WireProtocol.StatusHeader, WireProtocol.StatusOk)];

    private static readonly Known[] KnownNames = Of(
        WireProtocol.StatusHeader, WireProtocol.MethodHeader, WireProtocol.CallIdHeader, WireProtocol.AttemptHeader,
        WireProtocol.TimeoutHeader, WireProtocol.DeadlineHeader, WireProtocol.CallerHeader, WireProtocol.CancelHeader,
        WireProtocol.TraceParentHeader, WireProtocol.StreamHeader, WireProtocol.CompressionHeader,
        StreamingProtocol.InboxHeader, StreamingProtocol.WindowHeader, StreamingProtocol.IdleHeader, StreamingProtocol.ControlHeader,
        StreamingProtocol.BatchHeader, StreamingProtocol.ItemsHeader, StreamingProtocol.SeqHeader, StreamingProtocol.CountHeader,
        StreamingProtocol.HeartbeatHeader, StreamingProtocol.AckHeader, StreamingProtocol.CancelHeader, Coalescing.BatchFrames.Header);

    private static readonly Known[] KnownValues = Of(WireProtocol.StatusOk, WireProtocol.Lz4);

    /// <summary>
    /// Parses <paramref name="block"/>; <paramref name="status"/> is the status code of the version line (503 for
    /// no responders), 0 without one. Names and values are decoded with <paramref name="encoding"/> (the
    /// connection's header encoding); a value loses the spaces and tabs around it.
    /// </summary>
    /// <exception cref="FormatException">The block is not a well-formed header block.</exception>
    public static MaculaHeaders Parse(in ReadOnlySequence<byte> block, Encoding encoding, out int status)
    {
        if (block.IsSingleSegment)
        {
            return Parse(block.FirstSpan, encoding, out status);
        }

        int length = checked((int)block.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            block.CopyTo(rented);
            return Parse(rented.AsSpan(0, length), encoding, out status);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc cref="Parse(in ReadOnlySequence{byte}, Encoding, out int)"/>
    public static MaculaHeaders Parse(ReadOnlySpan<byte> block, Encoding encoding, out int status)
    {
        var rest = block;
        var versionLine = TakeLine(ref rest, "the version line");
        status = ParseVersionLine(versionLine);

        // First pass: the lines up to the empty one, so the headers are sized exactly; the block must end there.
        int count = 0;
        var scan = rest;
        while (true)
        {
            var line = TakeLine(ref scan, "a header line");
            if (line.IsEmpty)
            {
                break;
            }

            if (++count > MaxEntries)
            {
                throw new FormatException($"The header block has more than {MaxEntries} entries.");
            }
        }

        if (!scan.IsEmpty)
        {
            throw new FormatException($"The header block has {scan.Length} bytes after its terminating empty line.");
        }

        if (count == 1 && IsStatusOk(rest))
        {
            return MaculaHeaders.Shared(StatusOk);
        }

        var headers = new MaculaHeaders(count);
        for (int i = 0; i < count; i++)
        {
            var line = TakeLine(ref rest, "a header line");
            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new FormatException(colon == 0 ? "A header line has an empty name." : "A header line has no ':' after its name.");
            }

            var name = line[..colon];
            foreach (byte b in name)
            {
                if (b <= (byte)' ' || b > (byte)'~')
                {
                    throw new FormatException($"A header name has the byte 0x{b:x2}, which header names cannot carry.");
                }
            }

            var value = Trim(line[(colon + 1)..]);
            headers.AddUnchecked(Decode(name, KnownNames, encoding), Decode(value, KnownValues, encoding));
        }

        return headers;
    }

    /// <summary>Takes one CRLF-terminated line off <paramref name="rest"/>; a bare CR or LF, or no CRLF at all, is malformed.</summary>
    private static ReadOnlySpan<byte> TakeLine(ref ReadOnlySpan<byte> rest, string what)
    {
        int end = rest.IndexOfAny((byte)'\r', (byte)'\n');
        if (end < 0)
        {
            throw new FormatException($"The header block is truncated: {what} has no CRLF.");
        }

        if (rest[end] != (byte)'\r' || end + 1 >= rest.Length || rest[end + 1] != (byte)'\n')
        {
            throw new FormatException($"The header block has a line break other than CRLF in {what}.");
        }

        var line = rest[..end];
        rest = rest[(end + 2)..];
        return line;
    }

    private static int ParseVersionLine(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith(Version))
        {
            throw new FormatException("The header block does not start with NATS/1.0.");
        }

        var rest = line[Version.Length..];
        if (rest.IsEmpty)
        {
            return 0;
        }

        // NATS/1.0 503, NATS/1.0 408 Request Timeout: a space, three digits, then a space and a description or nothing.
        if (rest.Length < 4 || rest[0] != (byte)' ' || !IsDigit(rest[1]) || !IsDigit(rest[2]) || !IsDigit(rest[3]) || (rest.Length > 4 && rest[4] != (byte)' '))
        {
            throw new FormatException("The header block's version line has a malformed status code.");
        }

        return ((rest[1] - '0') * 100) + ((rest[2] - '0') * 10) + (rest[3] - '0');
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsStatusOk(ReadOnlySpan<byte> lines) =>
        lines.StartsWith("Macula-Status:"u8) && Trim(lines["Macula-Status:"u8.Length..^4]).SequenceEqual("ok"u8);

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value)
    {
        int start = 0;
        while (start < value.Length && value[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        int end = value.Length;
        while (end > start && value[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return value[start..end];
    }

    /// <summary>A header name as a string: Macula's own names are not made again (coalesced frames carry them as UTF-8).</summary>
    public static string DecodeName(ReadOnlySpan<byte> utf8) => Decode(utf8, KnownNames, Encoding.UTF8);

    /// <summary>A header value as a string: <c>ok</c> and <c>lz4</c> are not made again.</summary>
    public static string DecodeValue(ReadOnlySpan<byte> utf8) => Decode(utf8, KnownValues, Encoding.UTF8);

    private static string Decode(ReadOnlySpan<byte> bytes, Known[] known, Encoding encoding)
    {
        foreach (var entry in known)
        {
            if (bytes.SequenceEqual(entry.Bytes))
            {
                return entry.Text;
            }
        }

        return bytes.IsEmpty ? string.Empty : encoding.GetString(bytes);
    }

    private static Known[] Of(params string[] texts)
    {
        var known = new Known[texts.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            known[i] = new Known(Encoding.ASCII.GetBytes(texts[i]), texts[i]);
        }

        return known;
    }

    private readonly record struct Known(byte[] Bytes, string Text);
}
