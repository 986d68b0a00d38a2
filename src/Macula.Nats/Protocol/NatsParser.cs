using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Macula.Nats.Protocol;

/// <summary>
/// Parses server frames out of a byte sequence that may hold a part of one frame or many frames. It consumes only
/// whole frames, so the caller can feed it whatever the socket delivered and come back with more.
/// </summary>
internal static class NatsParser
{
    /// <summary>
    /// The longest control line accepted. INFO of a large cluster lists many URLs, so this is larger than the
    /// server's own limit for client lines; a peer that sends more without a line end is sending garbage.
    /// </summary>
    public const int MaxControlLine = 64 * 1024;

    private const int MaxArgs = 6;

    /// <summary>Parses one frame from the start of <paramref name="buffer"/> and slices it off.</summary>
    /// <param name="buffer">The unread bytes; on success, what follows the frame.</param>
    /// <param name="maxMessageSize">The largest message (headers and payload) to accept.</param>
    /// <param name="frame">The frame.</param>
    /// <returns><see langword="false"/> when the buffer does not yet hold a whole frame.</returns>
    /// <exception cref="NatsProtocolException">The bytes are not a valid frame.</exception>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out NatsFrame frame)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSequence, (byte)'\n', advancePastDelimiter: true))
        {
            if (buffer.Length > MaxControlLine)
            {
                throw new NatsProtocolException($"No line end within {MaxControlLine} bytes: '{Printable(buffer.Slice(0, 48))}...'.");
            }

            if (!buffer.IsEmpty && !StartsLikeOperation(buffer))
            {
                throw new NatsProtocolException($"Unknown protocol operation '{Printable(buffer.Slice(0, Math.Min(buffer.Length, 48)))}'.");
            }

            return false;
        }

        if (lineSequence.Length > MaxControlLine)
        {
            throw new NatsProtocolException($"A control line of {lineSequence.Length} bytes exceeds the limit of {MaxControlLine} bytes.");
        }

        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> line;
            if (lineSequence.IsSingleSegment)
            {
                line = lineSequence.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)lineSequence.Length);
                lineSequence.CopyTo(rented);
                line = rented.AsSpan(0, (int)lineSequence.Length);
            }

            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line.Slice(0, line.Length - 1);
            }

            return ParseLine(line, ref reader, ref buffer, maxMessageSize, out frame);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool ParseLine(ReadOnlySpan<byte> line, ref SequenceReader<byte> reader, ref ReadOnlySequence<byte> buffer, int maxMessageSize, out NatsFrame frame)
    {
        frame = default;
        int opEnd = line.IndexOfAny((byte)' ', (byte)'\t');
        var op = opEnd < 0 ? line : line.Slice(0, opEnd);
        var rest = opEnd < 0 ? default : line.Slice(opEnd + 1);

        if (Ascii.EqualsIgnoreCase(op, "MSG"u8) || Ascii.EqualsIgnoreCase(op, "HMSG"u8))
        {
            bool withHeaders = op.Length == 4;
            if (!TryParseMessage(rest, withHeaders, ref reader, maxMessageSize, out frame))
            {
                return false;
            }
        }
        else if (Ascii.EqualsIgnoreCase(op, "PING"u8) && rest.Trim(" \t"u8).IsEmpty)
        {
            frame = new NatsFrame { Op = NatsOp.Ping };
        }
        else if (Ascii.EqualsIgnoreCase(op, "PONG"u8) && rest.Trim(" \t"u8).IsEmpty)
        {
            frame = new NatsFrame { Op = NatsOp.Pong };
        }
        else if (Ascii.EqualsIgnoreCase(op, "+OK"u8) && rest.Trim(" \t"u8).IsEmpty)
        {
            frame = new NatsFrame { Op = NatsOp.Ok };
        }
        else if (Ascii.EqualsIgnoreCase(op, "-ERR"u8))
        {
            frame = new NatsFrame { Op = NatsOp.Err, Error = ErrorText(rest) };
        }
        else if (Ascii.EqualsIgnoreCase(op, "INFO"u8))
        {
            frame = new NatsFrame { Op = NatsOp.Info, Info = ServerInfo.Parse(rest.Trim(" \t"u8)) };
        }
        else
        {
            throw new NatsProtocolException($"Unknown protocol operation '{Printable(line.Slice(0, Math.Min(line.Length, 48)))}'.");
        }

        buffer = buffer.Slice(reader.Position);
        return true;
    }

    // MSG <subject> <sid> [reply-to] <#bytes>
    // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
    private static bool TryParseMessage(ReadOnlySpan<byte> args, bool withHeaders, ref SequenceReader<byte> reader, int maxMessageSize, out NatsFrame frame)
    {
        frame = default;
        Span<Range> tokens = stackalloc Range[MaxArgs];
        int count = Tokenize(args, tokens);
        int sizes = withHeaders ? 2 : 1;
        if (count != 2 + sizes && count != 3 + sizes)
        {
            throw new NatsProtocolException($"{(withHeaders ? "HMSG" : "MSG")} has {count} arguments: '{Printable(args)}'.");
        }

        bool hasReply = count == 3 + sizes;
        long sid = ParseNumber(args[tokens[1]], "subscription id");
        int total = (int)Math.Min(ParseNumber(args[tokens[count - 1]], "size"), int.MaxValue);
        int headerLength = withHeaders ? (int)Math.Min(ParseNumber(args[tokens[count - 2]], "header size"), int.MaxValue) : 0;
        if (headerLength > total)
        {
            throw new NatsProtocolException($"HMSG has a header size of {headerLength} bytes, larger than its total size of {total} bytes.");
        }

        if (total > maxMessageSize)
        {
            throw new NatsProtocolException($"A message of {total} bytes exceeds the limit of {maxMessageSize} bytes.");
        }

        if (reader.Remaining < (long)total + 2)
        {
            return false;
        }

        var body = reader.UnreadSequence.Slice(0, total);
        reader.Advance(total);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw new NatsProtocolException($"The message on '{Printable(args[tokens[0]])}' is not followed by CRLF after the {total} bytes its size field announced: the size field is wrong.");
        }

        frame = new NatsFrame
        {
            Op = withHeaders ? NatsOp.HMsg : NatsOp.Msg,
            Subject = Encoding.UTF8.GetString(args[tokens[0]]),
            Sid = sid,
            ReplyTo = hasReply ? Encoding.UTF8.GetString(args[tokens[2]]) : null,
            Headers = body.Slice(0, headerLength),
            Payload = body.Slice(headerLength),
        };
        return true;
    }

    private static int Tokenize(ReadOnlySpan<byte> args, Span<Range> tokens)
    {
        int count = 0;
        int i = 0;
        while (i < args.Length)
        {
            while (i < args.Length && (args[i] == (byte)' ' || args[i] == (byte)'\t'))
            {
                i++;
            }

            if (i == args.Length)
            {
                break;
            }

            int start = i;
            while (i < args.Length && args[i] != (byte)' ' && args[i] != (byte)'\t')
            {
                i++;
            }

            if (count == tokens.Length)
            {
                return count + 1;
            }

            tokens[count++] = new Range(start, i);
        }

        return count;
    }

    private static long ParseNumber(ReadOnlySpan<byte> text, string what)
    {
        if (!Utf8Parser.TryParse(text, out long value, out int consumed) || consumed != text.Length || value < 0)
        {
            throw new NatsProtocolException($"The {what} '{Printable(text)}' is not a non-negative number.");
        }

        return value;
    }

    private static string ErrorText(ReadOnlySpan<byte> rest)
    {
        var text = rest.Trim(" \t"u8);
        if (text.Length >= 2 && text[0] == (byte)'\'' && text[^1] == (byte)'\'')
        {
            text = text.Slice(1, text.Length - 2);
        }

        return Encoding.UTF8.GetString(text);
    }

    // Lets garbage that never ends a line fail at once instead of after MaxControlLine bytes.
    private static bool StartsLikeOperation(ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[5];
        int n = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, n).CopyTo(head);
        head = head.Slice(0, n);
        return IsPrefixOf(head, "MSG "u8) || IsPrefixOf(head, "HMSG "u8) || IsPrefixOf(head, "PING\r"u8) || IsPrefixOf(head, "PONG\r"u8)
            || IsPrefixOf(head, "+OK\r\n"u8) || IsPrefixOf(head, "-ERR "u8) || IsPrefixOf(head, "INFO "u8)
            || IsPrefixOf(head, "MSG\t"u8) || IsPrefixOf(head, "HMSG\t"u8) || IsPrefixOf(head, "INFO\t"u8) || IsPrefixOf(head, "-ERR\t"u8)
            || IsPrefixOf(head, "PING\n"u8) || IsPrefixOf(head, "PONG\n"u8) || IsPrefixOf(head, "+OK\n"u8);
    }

    private static bool IsPrefixOf(ReadOnlySpan<byte> head, ReadOnlySpan<byte> operation)
    {
        int n = Math.Min(head.Length, operation.Length);
        return Ascii.EqualsIgnoreCase(head.Slice(0, n), operation.Slice(0, n));
    }

    internal static string Printable(ReadOnlySequence<byte> bytes) => Printable(bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray());

    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b >= 0x20 && b < 0x7f)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
