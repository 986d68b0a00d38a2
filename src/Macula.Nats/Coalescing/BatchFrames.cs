using System.Buffers;
using Macula.Transport;
using Macula.Nats.Protocol;
using MessagePack;

namespace Macula.Nats.Coalescing;

/// <summary>
/// The body of a coalesced message (docs/wire-protocol.md, "Coalesced calls"): <c>Macula-Batch: n</c> frames one
/// after the other, each a MessagePack array <c>[reply subject, headers (map of strings, or nil), payload (bin)]</c>.
/// What it reads comes from the bus: every count, length and string is checked before it is used.
/// </summary>
internal static class BatchFrames
{
    /// <summary>The header that marks a coalesced message and gives its number of frames.</summary>
    public const string Header = "Macula-Batch";

    /// <summary>The last token of the subject a provider sends a batch of replies to, under the client's inbox prefix.</summary>
    public const string RepliesToken = "batch";

    /// <summary>The most frames a batch may hold; a sender makes far fewer (<see cref="CoalescingLimits.MaxCalls"/>).</summary>
    public const int MaxFrames = 1024;

    private const int MaxHeaders = 64;

    /// <summary>One frame: a call (its reply subject) or a reply (the subject of the call it answers).</summary>
    public readonly record struct Frame(string Subject, MaculaHeaders? Headers, ReadOnlyMemory<byte> Payload);

    public static void Write(IBufferWriter<byte> output, string subject, MaculaHeaders? headers, ReadOnlySpan<byte> payload)
    {
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(3);
        writer.Write(subject);
        if (headers is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteMapHeader(headers.Count);
            foreach (var (name, value) in headers)
            {
                writer.Write(name);
                writer.Write(value);
            }
        }

        writer.Write(payload);
        writer.Flush();
    }

    /// <summary>
    /// Reads <paramref name="count"/> frames from <paramref name="body"/> into <paramref name="frames"/> (payloads are
    /// slices of <paramref name="body"/>); returns why not when the body is not exactly that, and then adds nothing.
    /// </summary>
    public static string? TryRead(ReadOnlyMemory<byte> body, string? count, List<Frame> frames)
    {
        if (!int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1 || n > MaxFrames)
        {
            return $"its {Header} header is '{count}', not a count from 1 to {MaxFrames}";
        }

        int start = frames.Count;
        string? problem = ReadFrames(body, n, frames);
        if (problem is not null)
        {
            // Nothing of a bad batch is handed on.
            frames.RemoveRange(start, frames.Count - start);
        }

        return problem;
    }

    /// <summary>A header name or value; Macula's own are the interned strings the raw header parser uses.</summary>
    private static string ReadHeaderString(ref MessagePackReader reader, Func<ReadOnlySpan<byte>, string> decode) =>
        reader.NextMessagePackType == MessagePackType.String && reader.TryReadStringSpan(out var utf8)
            ? decode(utf8)
            : reader.ReadString() ?? string.Empty;

    private static string? ReadFrames(ReadOnlyMemory<byte> body, int n, List<Frame> frames)
    {
        try
        {
            var reader = new MessagePackReader(body);
            for (int i = 0; i < n; i++)
            {
                if (reader.End || reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != 3)
                {
                    return $"frame {i + 1} of {n} is not an array of 3";
                }

                string subject = reader.ReadString() ?? string.Empty;
                SubjectMatcher.Validate(subject, allowWildcards: false);
                MaculaHeaders? headers = null;
                if (!reader.TryReadNil())
                {
                    int entries = reader.ReadMapHeader();
                    if (entries > MaxHeaders)
                    {
                        return $"frame {i + 1} of {n} has {entries} headers, more than {MaxHeaders}";
                    }

                    headers = new MaculaHeaders(entries);
                    for (int h = 0; h < entries; h++)
                    {
                        string name = ReadHeaderString(ref reader, RawHeaderParser.DecodeName);
                        headers.Add(name, ReadHeaderString(ref reader, RawHeaderParser.DecodeValue));
                    }
                }

                if (reader.NextMessagePackType != MessagePackType.Binary || reader.ReadBytes() is not { } payload)
                {
                    return $"frame {i + 1} of {n} has no payload";
                }

                int offset = (int)(reader.Consumed - payload.Length);
                frames.Add(new Frame(subject, headers, body.Slice(offset, (int)payload.Length)));
            }

            return reader.End ? null : $"it has bytes after its {n} frames";
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or ArgumentException or OverflowException or InvalidOperationException)
        {
            return $"it is not {n} well-formed frames: {ex.Message}";
        }
    }
}

/// <summary>How large a batch a sender makes.</summary>
internal static class CoalescingLimits
{
    /// <summary>The most calls (or replies) one batch carries.</summary>
    public const int MaxCalls = 16;

    /// <summary>The most bytes of frames one batch carries (the server's max_payload may lower it).</summary>
    public const int MaxBytes = 64 * 1024;
}
