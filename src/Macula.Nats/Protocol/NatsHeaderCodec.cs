using System.Buffers.Text;
using System.Text;
using Macula.Transport;

namespace Macula.Nats.Protocol;

/// <summary>
/// The NATS header block (ADR-4): a version line <c>NATS/1.0</c>, optionally followed by a status code and a
/// description, then <c>Name: value</c> lines, then an empty line. Every line ends in CRLF.
/// </summary>
internal static class NatsHeaderCodec
{
    public const int NoResponders = 503;

    /// <summary>Values up to this many bytes are looked up in <see cref="s_values"/>; longer ones (ids, deadlines, trace contexts) rarely repeat.</summary>
    private const int MaxCachedValue = 24;

    private static readonly string?[] s_names = new string?[64];
    private static readonly string?[] s_values = new string?[64];

    private static ReadOnlySpan<byte> Version => "NATS/1.0"u8;

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static int GetEncodedLength(MaculaHeaders headers)
    {
        int length = Version.Length + 2;
        foreach (var (name, value) in headers)
        {
            length += Encoding.UTF8.GetByteCount(name) + 2 + Encoding.UTF8.GetByteCount(value) + 2;
        }

        return length + 2;
    }

    public static int Write(Span<byte> destination, MaculaHeaders headers)
    {
        int at = 0;
        Version.CopyTo(destination);
        at += Version.Length;
        Crlf.CopyTo(destination.Slice(at));
        at += 2;
        foreach (var (name, value) in headers)
        {
            at += Encoding.UTF8.GetBytes(name, destination.Slice(at));
            destination[at++] = (byte)':';
            destination[at++] = (byte)' ';
            at += Encoding.UTF8.GetBytes(value, destination.Slice(at));
            Crlf.CopyTo(destination.Slice(at));
            at += 2;
        }

        Crlf.CopyTo(destination.Slice(at));
        return at + 2;
    }

    /// <summary>
    /// Decodes a header block. A block that breaks the format yields no headers rather than an error: headers come
    /// from other clients, and one peer's bad headers must not cost this client its connection.
    /// </summary>
    public static MaculaHeaders? Decode(ReadOnlySpan<byte> block, out int status)
    {
        status = 0;
        int eol = block.IndexOf(Crlf);
        if (eol < 0 || !block.StartsWith("NATS/"u8))
        {
            return null;
        }

        var first = block.Slice(0, eol);
        int space = first.IndexOfAny((byte)' ', (byte)'\t');
        if (space > 0)
        {
            var rest = first.Slice(space).TrimStart(" \t"u8);
            int end = rest.IndexOfAny((byte)' ', (byte)'\t');
            var code = end < 0 ? rest : rest.Slice(0, end);
            if (Utf8Parser.TryParse(code, out int parsed, out int consumed) && consumed == code.Length)
            {
                status = parsed;
            }
        }

        MaculaHeaders? headers = null;
        var remaining = block.Slice(eol + 2);
        while (!remaining.IsEmpty)
        {
            int lineEnd = remaining.IndexOf(Crlf);
            var line = lineEnd < 0 ? remaining : remaining.Slice(0, lineEnd);
            remaining = lineEnd < 0 ? default : remaining.Slice(lineEnd + 2);
            if (line.IsEmpty)
            {
                break;
            }

            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line.Slice(0, colon);
            var value = line.Slice(colon + 1).Trim(" \t"u8);
            if (!IsValidName(name) || value.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
            {
                continue;
            }

            headers ??= new MaculaHeaders();
            headers.Add(Cached(s_names, name), value.Length <= MaxCachedValue ? Cached(s_values, value) : Encoding.UTF8.GetString(value));
        }

        return headers;
    }

    /// <summary>
    /// The string for <paramref name="bytes"/>, reused when the same bytes were decoded before. Header names and short
    /// values (statuses, method names, attempt numbers) repeat on every message, and a request/reply pays for each
    /// string it makes; one slot per hash keeps the cache small and lock-free (a racing write only costs a miss).
    /// </summary>
    private static string Cached(string?[] cache, ReadOnlySpan<byte> bytes)
    {
        if (!Ascii.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var hash = new HashCode();
        hash.AddBytes(bytes);
        ref string? slot = ref cache[hash.ToHashCode() & (cache.Length - 1)];
        string? cached = Volatile.Read(ref slot);
        if (cached is not null && Ascii.Equals(bytes, cached))
        {
            return cached;
        }

        string made = Encoding.ASCII.GetString(bytes);
        Volatile.Write(ref slot, made);
        return made;
    }

    private static bool IsValidName(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
        {
            if (b <= (byte)' ' || b == (byte)':' || b > (byte)'~')
            {
                return false;
            }
        }

        return true;
    }
}
