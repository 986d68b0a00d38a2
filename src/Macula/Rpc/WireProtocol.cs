using System.Globalization;
using Macula.Serialization;
using Macula.Transport;
using MessagePack;

namespace Macula.Rpc;

/// <summary>Names and encodings of the RPC wire contract (docs/wire-protocol.md is the reference).</summary>
internal static class WireProtocol
{
    public const string MethodHeader = "Macula-Method";
    public const string CallIdHeader = "Macula-Call-Id";
    public const string AttemptHeader = "Macula-Attempt";
    /// <summary>The old absolute deadline (Unix ms); still read when <see cref="TimeoutHeader"/> is absent, no longer sent.</summary>
    public const string DeadlineHeader = "Macula-Deadline";

    /// <summary>The attempt's time budget in milliseconds from when the provider receives it (clock-skew safe).</summary>
    public const string TimeoutHeader = "Macula-Timeout";

    /// <summary>The calling node's id: a claim, not verified.</summary>
    public const string CallerHeader = "Macula-Caller";

    /// <summary>The prefix of a metadata entry's header: user key <c>tenant</c> is header <c>Macula-Meta-tenant</c>.</summary>
    public const string MetadataPrefix = "Macula-Meta-";
    public const string StatusHeader = "Macula-Status";
    public const string CancelHeader = "Macula-Cancel";
    public const string TraceParentHeader = "traceparent";

    /// <summary>Marks a request that opens a server stream (its other headers are in Rpc/Streaming's StreamingProtocol).</summary>
    public const string StreamHeader = "Macula-Stream";
    public const string StatusOk = "ok";

    /// <summary>The body of a reply without a result, and of a one-way call's acknowledgement: MessagePack nil.</summary>
    public static readonly ReadOnlyMemory<byte> NilBody = new byte[] { 0xc0 };

    /// <summary>On any body: how it is compressed. The only value is <see cref="Lz4"/>; absent, the body is plain MessagePack.</summary>
    public const string CompressionHeader = "Macula-Compression";

    /// <summary>MessagePack-CSharp's Lz4BlockArray layout (docs/wire-protocol.md, "Compression").</summary>
    public const string Lz4 = "lz4";

    // Direct-mapped by the value's low bits; an entry is replaced whole, so a reader never sees half of one.
    private static readonly FormattedTimeout?[] FormattedTimeouts = new FormattedTimeout?[16];


    public static string FormatDeadline(DateTimeOffset deadline) => deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public static bool TryParseDeadline(string? value, out DateTimeOffset deadline)
    {
        if (value is not null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) && ms <= 253402300799999L)
        {
            deadline = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }

        deadline = default;
        return false;
    }

    /// <summary>
    /// Writes a <see cref="TimeoutHeader"/> value: the budget in whole milliseconds, rounded up, at least 1. Calls made
    /// with the same timeout mostly send the same value, so the last few are kept (a string less per call).
    /// </summary>
    public static string FormatTimeout(TimeSpan budget)
    {
        long ms = (long)Math.Ceiling(Math.Max(budget.TotalMilliseconds, 1));
        ref var slot = ref FormattedTimeouts[(int)(ms & (FormattedTimeouts.Length - 1))];
        if (Volatile.Read(ref slot) is { } cached && cached.Milliseconds == ms)
        {
            return cached.Text;
        }

        var formatted = new FormattedTimeout(ms, ms.ToString(CultureInfo.InvariantCulture));
        Volatile.Write(ref slot, formatted);
        return formatted.Text;
    }

    /// <summary>Reads a <see cref="TimeoutHeader"/> value: a non-negative decimal of milliseconds (capped at ten years).</summary>
    public static bool TryParseTimeout(string? value, out TimeSpan budget)
    {
        if (value is not null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) && ms <= 315_360_000_000L)
        {
            budget = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        budget = default;
        return false;
    }

    /// <summary>Adds <paramref name="metadata"/> to <paramref name="headers"/>: one <see cref="MetadataPrefix"/> header per entry, binary values base64.</summary>
    public static void WriteMetadata(MaculaHeaders headers, MaculaMetadata metadata)
    {
        foreach (var entry in metadata)
        {
            headers.Add(MetadataPrefix + entry.Key, entry.Bytes is { } bytes ? Convert.ToBase64String(bytes.Span) : entry.Value!);
        }
    }

    /// <summary>Whether <paramref name="headers"/> carry any metadata entry (no allocation).</summary>
    public static bool HasMetadata(MaculaHeaders? headers)
    {
        if (headers is null)
        {
            return false;
        }

        foreach (var (name, _) in headers)
        {
            if (name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads the metadata entries of <paramref name="headers"/>, or null when there are none. A key that breaks the
    /// rules, a binary value that is not base64, or more than the size limit is refused as a
    /// <see cref="MaculaSerializationException"/> naming the key (what it quotes is cut to the key length limit).
    /// </summary>
    public static MaculaMetadata? ReadMetadata(MaculaHeaders? headers)
    {
        if (!HasMetadata(headers))
        {
            return null;
        }

        var metadata = new MaculaMetadata();
        foreach (var (name, value) in headers!)
        {
            if (!name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string key = name[MetadataPrefix.Length..];
            if (Validation.MetadataKeyProblem(key) is { } problem)
            {
                string shown = key.Length > Validation.MaxMetadataKeyLength ? key[..Validation.MaxMetadataKeyLength] + "..." : key;
                throw new MaculaSerializationException($"The metadata key '{shown}' {problem}");
            }

            if (MaculaMetadata.IsBinaryKey(key))
            {
                byte[] bytes;
                try
                {
                    bytes = Convert.FromBase64String(value);
                }
                catch (FormatException)
                {
                    throw new MaculaSerializationException($"The binary metadata value of '{key}' is not base64");
                }

                metadata.AddUnchecked(new MaculaMetadata.Entry(key, null, bytes));
            }
            else
            {
                if (Validation.MetadataValueProblem(value) is { } valueProblem)
                {
                    throw new MaculaSerializationException($"The metadata value of '{key}' {valueProblem}");
                }

                metadata.AddUnchecked(new MaculaMetadata.Entry(key, value, null));
            }
        }

        int size = Validation.MetadataSize(metadata);
        if (size > Validation.MaxMetadataBytes)
        {
            throw new MaculaSerializationException($"The metadata takes {size} bytes, more than the limit of {Validation.MaxMetadataBytes}");
        }

        return metadata;
    }

    /// <summary>The body of <paramref name="message"/> as MessagePack: decompressed when its headers say it is compressed.</summary>
    public static ReadOnlyMemory<byte> ReadBody(TransportMessage message, int maxDecompressedBytes)
    {
        string? compression = message.Headers?[CompressionHeader];
        if (compression is null)
        {
            return message.Payload;
        }

        if (compression == Lz4)
        {
            return Lz4BlockArray.Decompress(message.Payload, maxDecompressedBytes);
        }

        throw new MaculaSerializationException($"The body is compressed as '{compression}', which this node does not read (it reads '{Lz4}')");
    }

    /// <summary>
    /// Whether a body of <paramref name="length"/> bytes is worth compressing under <paramref name="options"/>
    /// (the client's or the node's) and the method's own setting.
    /// </summary>
    public static bool ShouldCompress(CompressionOptions options, MethodCompression method, int length) => method switch
    {
        MethodCompression.Off => false,
        MethodCompression.Lz4 => length >= options.MinBytes,
        _ => options.Enabled && length >= options.MinBytes,
    };

    /// <summary>
    /// Compresses <paramref name="body"/> into <paramref name="compressed"/>; false (and nothing to send but the
    /// original) when LZ4 did not make it smaller.
    /// </summary>
    public static bool TryCompress(ReadOnlySpan<byte> body, PooledBufferWriter compressed)
    {
        Lz4BlockArray.Compress(body, compressed);
        return compressed.WrittenCount < body.Length;
    }

    /// <summary>The message callers get for an application error when the provider withholds the details.</summary>
    public const string WithheldMessage = "The service implementation failed; the provider withholds the details (MaculaNodeOptions.IncludeErrorDetails is off).";

    /// <summary>
    /// The error body of an exception thrown by a service implementation: its type and message only when the provider
    /// opted in (<see cref="MaculaNodeOptions.IncludeErrorDetails"/>), since they can reveal internals to any caller.
    /// </summary>
    public static byte[] ApplicationErrorBody(Exception ex, bool includeDetails) => includeDetails
        ? ErrorBody(MaculaErrorCode.ApplicationError, ex.Message, ex.GetType().FullName)
        : ErrorBody(MaculaErrorCode.ApplicationError, WithheldMessage, null);

    /// <summary>Writes the error body: a map <c>{code, message, type}</c>.</summary>
    public static byte[] ErrorBody(MaculaErrorCode code, string message, string? type)
    {
        using var buffer = new PooledBufferWriter(128);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(3);
        writer.Write("code");
        writer.Write(code.ToString());
        writer.Write("message");
        writer.Write(message);
        writer.Write("type");
        writer.Write(type);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads an error body; tolerates unknown keys and a missing body.</summary>
    public static (string Message, string? Type) ReadErrorBody(ReadOnlyMemory<byte> body)
    {
        string message = "(no message)";
        string? type = null;
        if (body.IsEmpty)
        {
            return (message, type);
        }

        try
        {
            var reader = new MessagePackReader(body);
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                string? key = FormatterSupport.ReadString(ref reader);
                switch (key)
                {
                    case "message": message = FormatterSupport.ReadString(ref reader) ?? message; break;
                    case "type": type = FormatterSupport.ReadString(ref reader); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The error body only explains a failure the status already names: a bad one must not hide that failure.
            message = "(undecodable error body: " + MaculaSerializer.Describe(ex) + ")";
        }

        return (message, type);
    }

    public static MaculaErrorCode ParseStatus(string status) =>
        Enum.TryParse<MaculaErrorCode>(status, ignoreCase: false, out var code) && Enum.IsDefined(code) ? code : MaculaErrorCode.Internal;

    public static MaculaHeaders StatusHeaders(string status)
    {
        var headers = new MaculaHeaders(1);
        headers.Add(StatusHeader, status);
        return headers;
    }

    private sealed record FormattedTimeout(long Milliseconds, string Text);
}
